#!/usr/bin/env bash
# Set up, build the demo store on first run, and start the dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
DB=${FOREST_DB:-data/forest.gpkg}
if [[ "$DB" != postgres* ]] && [ ! -f "$DB" ]; then
    echo "首次运行：正在生成示例数据库 $DB …"
    FOREST_DB="$DB" .venv/bin/python -m geo demo --accounts-file data/demo-accounts.txt
    echo "（示例账号与密码另存于 data/demo-accounts.txt）"
fi
export FOREST_DB="$DB"
exec .venv/bin/streamlit run dashboard/server.py --server.port "${PORT:-8501}" "$@"
