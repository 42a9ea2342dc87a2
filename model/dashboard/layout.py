"""What both pages share: the title, the app layout with a button per page, the style sheet, and plain
HTML paragraphs and PNG figures (nothing that asks the internet for a script or a font)."""

from __future__ import annotations

import html
import io
import re

import solara
from matplotlib.figure import Figure

TITLE = "ptsim: private traffic on Tmall"


def paragraph(text: str):
    """A paragraph with **bold** and `code`: plain HTML, because solara.Markdown loads KaTeX for maths,
    which solara-assets does not ship (the page would then ask the internet for it)."""
    text = html.escape(" ".join(text.split()))
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    text = re.sub(r"`(.+?)`", r"<code>\1</code>", text)
    return solara.HTML(tag="p", unsafe_innerHTML=text, style={"margin": "4px 0"})


def png(fig: Figure) -> bytes:
    """The figure as PNG; pyplot's figure is closed (the plots module draws with pyplot)."""
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


# Solara's AppLayout gives Vuetify 3's navigation drawer the width "min-content", which Vuetify's layout
# cannot add up (--v-layout-left: NaN), so the sidebar covered the charts and the title on wide windows:
# give the drawer a fixed width and move the main area and the app bar beside it while it is open and
# docked. Mesa's sliders show their value only while dragged (Vuetify's v-show): always show it here.
# A checkbox's label is also put inside its box (a Vue 3 slot), where it spills over the sidebar: hide it;
# the sidebar's toggle in the app bar comes without its icon: draw one.
SIDEBAR = "400px"
CSS = f"""
.v-navigation-drawer.solara-content-main {{ width: {SIDEBAR} !important; }}
.v-application:has(.v-navigation-drawer--active:not(.v-navigation-drawer--temporary)) .v-main {{
    --v-layout-left: {SIDEBAR} !important; }}
.v-application:has(.v-navigation-drawer--active:not(.v-navigation-drawer--temporary)) .v-app-bar {{
    left: {SIDEBAR} !important; width: calc(100% - {SIDEBAR}) !important; }}
.v-slider-thumb__label-container {{ display: block !important; }}
.v-navigation-drawer .v-slider {{ margin-top: 30px; }}
.v-app-bar-nav-icon .v-btn__content::before {{ content: "☰"; font-size: 22px; }}
.v-selection-control__wrapper {{ font-size: 0; }}
.v-selection-control__wrapper .v-icon {{ font-size: 24px; }}
.ptsim-page {{ color: white !important; opacity: 0.75; }}
.ptsim-page-current {{ opacity: 1; border-bottom: 2px solid white; border-radius: 0; }}
.ptsim-table {{ border-collapse: collapse; font-size: 0.85em; }}
.ptsim-table th, .ptsim-table td {{ padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: right; }}
.ptsim-table tbody th {{ text-align: left; font-weight: normal; }}
"""


@solara.component
def Layout(children=[]):  # noqa: B006 (Solara's signature)
    """Solara's app layout with a button per page in the app bar (Solara's own page tabs need Vuetify 2's
    TabsSlider, missing from the Vuetify 3 front end of this release), and the style sheet above (in the
    app bar: a child of the layout itself would become its sidebar)."""
    _, routes = solara.use_route(peek=True)
    router = solara.use_router()
    with solara.AppLayout(children=children, navigation=False) as main:
        with solara.AppBar():
            solara.Style(CSS)
            for route in routes:
                path = solara.resolve_path(route, level=0)
                solara.Button(route.label, on_click=lambda path=path: router.push(path), text=True,
                              classes=["ptsim-page"] + (["ptsim-page-current"] if router.path == path else []))
    return main
