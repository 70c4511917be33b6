"""Helpers for driving the dashboard in Chromium."""

from __future__ import annotations

import time

MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'


def wait_idle(page, timeout: float = 60.0) -> None:
    """Until the app is connected and no script run is in progress (as Streamlit's e2e suite)."""
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']",
                           timeout=timeout * 1000)
    end = time.time() + timeout
    quiet = 0
    while time.time() < end:
        running = page.locator("[data-testid='stApp'][data-test-script-state='running']").count()
        quiet = quiet + 1 if not running else 0
        if quiet >= 3:
            return
        time.sleep(0.2)
    raise TimeoutError("the app kept running")


def login(page, base_url: str, user: str, password: str, path: str = "") -> None:
    """Open ``path``; the server sends a browser without a session to its sign-in page, which
    brings it back to ``path`` once signed in."""
    page.goto(f"{base_url}/{path}")
    if "/signin" in page.url:
        page.get_by_label("用户名").fill(user)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(lambda u: "/signin" not in u, timeout=30_000)
    wait_idle(page)
    page.wait_for_selector("[data-testid='stSidebarNav']", timeout=30_000)


def map_frame(page):
    page.wait_for_selector(MAP_FRAME, timeout=30_000)
    return page.frame_locator(MAP_FRAME)


def drawn_features(page, prop: str = "s") -> int:
    """How many features with property ``prop`` the Leaflet map inside the component holds."""
    frame = page.frame(url=lambda u: "streamlit_folium" in u)
    if frame is None:
        return 0
    return frame.evaluate(
        """(prop) => { if (!window.map) return 0; let n = 0;
             window.map.eachLayer(l => { if (l.feature && l.feature.properties &&
                                              l.feature.properties[prop] !== undefined) n++; });
             return n; }""",
        prop,
    )


def wait_drawn(page, minimum: int = 1, prop: str = "s", timeout: float = 30.0) -> int:
    end = time.time() + timeout
    n = 0
    while time.time() < end:
        n = drawn_features(page, prop)
        if n >= minimum:
            return n
        page.wait_for_timeout(250)  # (not time.sleep: this lets Playwright see new frames)
    return n


def map_view(page) -> tuple[int, float, float]:
    """(zoom, lat, lon) the Leaflet map in the component shows."""
    frame = page.frame(url=lambda u: "streamlit_folium" in u)
    return tuple(frame.evaluate("() => [window.map.getZoom(), window.map.getCenter().lat, window.map.getCenter().lng]"))


def feature_point(page, fid: int):
    """Pixel position (in the page) of feature ``fid`` on the Leaflet map, or None."""
    frame = page.frame(url=lambda u: "streamlit_folium" in u)
    if frame is None:
        return None
    pt = frame.evaluate(
        """(fid) => { let out = null;
             window.map.eachLayer(l => {
               if (l.feature && l.feature.properties && l.feature.properties.id === fid) {
                 const c = l.getLatLng ? l.getLatLng() : l.getBounds().getCenter();
                 const p = window.map.latLngToContainerPoint(c);
                 out = [p.x, p.y];
               }
             });
             return out; }""",
        fid,
    )
    if pt is None:
        return None
    box = page.locator(MAP_FRAME).bounding_box()
    return box["x"] + pt[0], box["y"] + pt[1]


def hover_tooltip(page, fid: int, attempts: int = 12):
    """Hover feature ``fid`` the way a user does and return its tooltip locator. The map may still
    be settling (fit to the feature, a rerun redrawing the frame), so aim again until it shows."""
    for _ in range(attempts):
        point = feature_point(page, fid)
        if point is not None:
            x, y = point
            page.mouse.move(x - 40, y - 40)
            page.mouse.move(x, y, steps=8)
            frame = page.frame(url=lambda u: "streamlit_folium" in u)
            tip = frame.locator(".leaflet-tooltip").first
            try:
                tip.wait_for(timeout=8_000)  # (two test workers and their browsers share 2 cores)
                return tip
            except Exception:  # not shown yet: the map moved under the pointer
                pass
        page.wait_for_timeout(1_000)
    raise AssertionError(f"no tooltip appeared over feature {fid}")


def feature_style(page, fid: int) -> dict | None:
    frame = page.frame(url=lambda u: "streamlit_folium" in u)
    return frame.evaluate(
        """(fid) => { let out = null;
             window.map.eachLayer(l => {
               if (l.feature && l.feature.properties && l.feature.properties.id === fid)
                 out = {fill: l.options.fillColor, color: l.options.color, status: l.feature.properties.s};
             });
             return out; }""",
        fid,
    )


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the Streamlit selectbox labelled ``label``."""
    for attempt in range(3):  # a rerun (the map re-sending its view) can close the list under us
        wait_idle(page)
        combo = page.get_by_role("combobox", name=label, exact=True).first
        box = page.locator("[data-testid='stSelectbox']").filter(has=combo).first
        box.get_by_role("button", name="Open").click()
        try:
            page.get_by_role("option", name=option, exact=True).first.click(timeout=5_000)
            break
        except Exception:
            if attempt == 2:
                page.screenshot(path="/tmp/choose_failed.png", full_page=True)
                names = page.get_by_role("option").all_inner_texts()
                raise AssertionError(f"no option {option!r} in {label!r}; options: {names}") from None
    wait_idle(page)


def unfold_menu(page) -> None:
    """Open every folded section of the menu (a click on its header, as a user does)."""
    for _ in range(3):
        folded = [h for h in page.locator("[data-testid='stNavSectionHeader']").all()
                  if h.locator("xpath=..").locator("[data-testid='stSidebarNavLink']").count() == 0]
        if not folded:
            return
        for h in folded:
            h.click()
        page.wait_for_timeout(300)
