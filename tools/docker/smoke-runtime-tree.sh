#!/usr/bin/env bash
# What the image build does, without a container engine: in a clean clone of HEAD, run the Dockerfile's build
# steps (npm ci, build, prune to production dependencies, lay out the runtime tree), then start every service
# from that tree as uid 1000 with nothing writable but its data directory and /tmp, against a private
# nats-server, wait for each /readyz, create a repository through the gateway, and stop them all with SIGTERM.
# Slow (npm ci and a full build): run it by hand after changing the Dockerfile or dependencies.
#
#   bash tools/docker/smoke-runtime-tree.sh
set -euo pipefail
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
work=$(mktemp -d /tmp/wharf-image-smoke-XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

git clone -q "$repo" "$work/src"
(
  cd "$work/src"
  export NX_DAEMON=false NX_NO_CLOUD=true
  npm ci --no-audit --no-fund >"$work/npm-ci.log" 2>&1
  npm run build >"$work/build.log" 2>&1
  npm prune --omit=dev --no-audit --no-fund >"$work/prune.log" 2>&1
  node tools/docker/runtime-tree.mjs "$work/runtime"
)
touch "$work/laid-out"
echo "runtime tree: $(du -sh "$work/runtime" | cut -f1)"

nats-server -js -a 127.0.0.1 -p -1 -sd "$work/nats" -ports_file_dir "$work" >"$work/nats.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do ls "$work"/*.ports >/dev/null 2>&1 && break; sleep 0.1; done
nats_url=$(node -e "console.log(JSON.parse(require('fs').readFileSync(process.argv[1])).nats[0])" "$work"/*.ports)

declare -A ports=([gateway]=34817 [content]=34820 [sync]=34821 [upload]=34822 [publication]=34823 [distribution]=34824 [audit]=34825)
for service in "${!ports[@]}"; do
  data="$work/data/$service"
  mkdir -p "$data" && chown 1000:1000 "$data"
  port_variable=WHARF_HTTP_PORT
  [ "$service" = gateway ] && port_variable=WHARF_API_PORT
  (cd "$work/runtime" && exec env -i PATH=/usr/bin:/bin HOME=/nonexistent NODE_ENV=production TMPDIR=/tmp \
    WHARF_DATA_DIR="$data" WHARF_BUS=nats NATS_URL="$nats_url" WHARF_EVENT_STORE=sqlite WHARF_BLOB_STORE=fs \
    WHARF_REGISTRY_PORT=34816 WHARF_ADMIN_PASSWORD=smoke WHARF_SECRET_KEY="$(openssl rand -base64 32)" \
    "$port_variable=${ports[$service]}" \
    setpriv --reuid 1000 --regid 1000 --clear-groups node --enable-source-maps "apps/$service/dist/main.js") \
    >"$work/$service.log" 2>&1 &
  pids+=($!)
done

for service in "${!ports[@]}"; do
  for attempt in $(seq 120); do
    curl -sf "localhost:${ports[$service]}/readyz" >/dev/null && break
    [ "$attempt" = 120 ] && { echo "$service never became ready:"; tail -n 20 "$work/$service.log"; exit 1; }
    sleep 1
  done
  echo "$service ready"
done
curl -sf -u admin:smoke -H 'Content-Type: application/json' -d '{"name":"smoke"}' \
  localhost:34817/pulp/api/v3/repositories/container/container/ >/dev/null
echo "repository created through the gateway"
[ -z "$(find "$work/runtime" -newer "$work/laid-out")" ] || { echo "the tree was written to"; exit 1; }

kill -TERM "${pids[@]:1}"
for pid in "${pids[@]:1}"; do wait "$pid" || { echo "a service did not exit cleanly on SIGTERM"; exit 1; }; done
pids=("${pids[0]}")
echo "every service ready from the runtime tree as uid 1000, and stopped cleanly on SIGTERM"
