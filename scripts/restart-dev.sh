#!/usr/bin/env bash
# Restart the development dashboard on port 8501 (logs in /tmp/st.log).
pkill -f "streamlit run dashboard/server.py" ; sleep 1
cd "$(dirname "$0")/.." && FOREST_DB=${FOREST_DB:-data/forest.gpkg} nohup .venv/bin/streamlit run dashboard/server.py --server.port 8501 > /tmp/st.log 2>&1 &
for i in $(seq 1 30); do curl -sf localhost:8501/_stcore/health >/dev/null && break; sleep 0.5; done
