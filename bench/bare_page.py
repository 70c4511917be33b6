"""A bare Streamlit page, for bench/map.py only: one button and a counter. Its click → updated
text round trip is the floor every action on the map page is compared against (same server,
same browser, same run)."""

import streamlit as st

st.session_state["n"] = st.session_state.get("n", 0)
if st.button("+1", key="plus"):
    st.session_state["n"] += 1
st.markdown(f"count {st.session_state['n']}")
