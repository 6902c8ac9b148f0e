#!/usr/bin/env bash
# Checks the deployment files (`npm run deploy:check`, part of `npm test`):
# - the monitoring files under deploy/prometheus with promtool: the scrape configuration (and,
#   through it, the rules it loads), the recording and alerting rules, and the rules' unit tests
#   in bridge-sync.rules.test.yml;
# - docker-compose.yml with `docker-compose config`, which resolves it as `up` would and fails on
#   what `up` would refuse.
# The Kubernetes manifests are checked by the unit tests (tools/deploy/kubernetes-manifests.spec.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v promtool >/dev/null 2>&1; then
  echo "deploy:check needs promtool, which is not installed. On Debian or Ubuntu:" >&2
  echo "  apt-get install prometheus   (promtool ends up at /usr/bin/promtool)" >&2
  echo "Elsewhere, put promtool from a Prometheus release (https://prometheus.io/download/) on PATH." >&2
  exit 1
fi

if ! command -v docker-compose >/dev/null 2>&1; then
  echo "deploy:check needs docker-compose, which is not installed. On Debian or Ubuntu:" >&2
  echo "  apt-get install docker-compose   (it ends up at /usr/bin/docker-compose)" >&2
  echo "Elsewhere, put a docker-compose executable on PATH (no Docker daemon is needed)." >&2
  exit 1
fi

promtool check config deploy/prometheus/prometheus.yml
promtool check rules deploy/prometheus/bridge-sync.rules.yml
promtool test rules deploy/prometheus/bridge-sync.rules.test.yml

# The compose file requires its passwords and tokens (`${VAR:?…}`) rather than defaulting them:
# each gets a dummy value here, for this check only, whatever the caller's environment holds.
required=$(grep -o '\${[A-Z_][A-Z0-9_]*:?' docker-compose.yml | sed 's/^\${//; s/:?$//' | sort -u)
dummies=()
for name in $required; do dummies+=("$name=deploy-check-dummy"); done
env ${dummies[@]+"${dummies[@]}"} docker-compose -f docker-compose.yml config --quiet
echo "docker-compose.yml: valid (docker-compose config)"
