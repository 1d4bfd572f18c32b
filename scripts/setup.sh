#!/usr/bin/env bash
# Installs what reactions needs on a Debian machine that has Go, git and npm,
# skipping what is already there. Usage: scripts/setup.sh [demo|test|bench]
#   demo  : ClickHouse server, dashboard assets (npm)
#   test  : the above, plus Chromium (browser test), Prometheus (scrape test; its promtool
#           checks the Prometheus configs), ZooKeeper (the cluster tests start it on loopback,
#           never as a service), docker-compose (checks docker-compose.yml), staticcheck,
#           and chDB's libchdb.so (ClickHouse 26.7 as a library, from npm) for the SQL test
set -euo pipefail
what="${1:-demo}"
cd "$(dirname "$0")/.."

need_apt=()
have() { command -v "$1" >/dev/null 2>&1; }

if [ -z "${REACTIONS_CLICKHOUSE:-}" ] && ! have clickhouse-server && [ ! -x /usr/sbin/clickhouse-server ] && ! have clickhouse; then
  need_apt+=(clickhouse-server)
fi
if [ "$what" = test ] || [ "$what" = bench ]; then
  have chromium || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
  have prometheus || [ -x /usr/bin/prometheus ] || need_apt+=(prometheus)
  [ -f /usr/share/java/zookeeper.jar ] && have java || need_apt+=(zookeeper)
fi
if [ "$what" = test ]; then
  have docker-compose || need_apt+=(docker-compose)
fi

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} (Debian packages)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if have sudo; then SUDO=sudo; else
      echo "setup: need root to install ${need_apt[*]}: run 'apt-get install ${need_apt[*]}' as root" >&2; exit 1
    fi
  fi
  # The packages' services are not started: reactions runs its own servers.
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# Dashboard assets: uPlot from npm, pinned by the committed lockfile.
if [ -f dashboard/web/package.json ]; then
  if [ ! -f dashboard/web/vendor/uPlot.iife.min.js ] || [ dashboard/web/package-lock.json -nt dashboard/web/vendor/uPlot.iife.min.js ]; then
    echo "setup: installing dashboard assets (npm ci)"
    bash dashboard/web/build.sh
  fi
fi

if [ "$what" = test ] || [ "$what" = bench ]; then
  gobin="$(go env GOPATH)/bin"
  if [ ! -x "$gobin/staticcheck" ]; then
    echo "setup: installing staticcheck (Go module proxy)"
    go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
  fi
fi

# chDB: ClickHouse 26.7 as a library, on which the store's SQL is tested
# (store/chtest/chdb). Its libchdb.so (566 MB) comes from the npm package named
# in store/chtest/chdb/npm-package and is kept where the tests look for it:
# the user's cache directory, as Go's os.UserCacheDir names it.
if [ "$what" = test ] && [ -z "${REACTIONS_LIBCHDB:-}" ]; then
  chdb_pkg="$(tr -d '[:space:]' < store/chtest/chdb/npm-package)"
  chdb_dir="${XDG_CACHE_HOME:-$HOME/.cache}/reactions/chdb/${chdb_pkg##*@}"
  if [ ! -f "$chdb_dir/libchdb.so" ]; then
    echo "setup: installing $chdb_pkg (npm pack, about 180 MB) into $chdb_dir"
    chdb_tmp="$(mktemp -d)"
    (cd "$chdb_tmp" && npm pack --silent --cache "$chdb_tmp/npm-cache" "$chdb_pkg" >/dev/null)
    tar -xzf "$chdb_tmp"/*.tgz -C "$chdb_tmp" package/libchdb.so
    mkdir -p "$chdb_dir"
    mv "$chdb_tmp/package/libchdb.so" "$chdb_dir/libchdb.so.part"
    mv "$chdb_dir/libchdb.so.part" "$chdb_dir/libchdb.so"
    rm -rf "$chdb_tmp"
  fi
fi
