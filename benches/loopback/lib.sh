# Shared by the loopback scripts: `source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"`.

# server_addr LOG: waits (up to 10 s) for the first 127.0.0.1:PORT a starting server printed to
# LOG and prints it; fails when none came.
server_addr() {
    local addr
    for _ in $(seq 100); do
        addr=$(grep -o '127\.0\.0\.1:[0-9]\+' "$1" | head -1 || true)
        if [[ -n "$addr" ]]; then
            echo "$addr"
            return 0
        fi
        sleep 0.1
    done
    return 1
}
