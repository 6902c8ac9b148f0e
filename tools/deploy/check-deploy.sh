#!/usr/bin/env bash
# Checks the monitoring files under deploy/prometheus with promtool (`npm run deploy:check`, part
# of `npm test`): the scrape configuration (and, through it, the rules it loads), the recording
# and alerting rules, and the rules' unit tests in bridge-sync.rules.test.yml.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v promtool >/dev/null 2>&1; then
  echo "deploy:check needs promtool, which is not installed. On Debian or Ubuntu:" >&2
  echo "  apt-get install prometheus   (promtool ends up at /usr/bin/promtool)" >&2
  echo "Elsewhere, put promtool from a Prometheus release (https://prometheus.io/download/) on PATH." >&2
  exit 1
fi

promtool check config deploy/prometheus/prometheus.yml
promtool check rules deploy/prometheus/bridge-sync.rules.yml
promtool test rules deploy/prometheus/bridge-sync.rules.test.yml
