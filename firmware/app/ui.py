"""The flow's screens -> firmware/ui/screens.py on one canvas -> the board's display.

The flow speaks in its own terms (the invitation message, the chosen codes);
this module turns them into the plain dicts screens.py documents, adds what
the flow does not know (hall and window from the config, the link status),
and pushes the canvas to the display. One canvas, one font file handle, for
the terminal's life.
"""

from firmware.ui import screens
from firmware.ui.canvas import Canvas
from firmware.ui.font import Font

ERROR_TEXTS = {
    "journal_full": "存储已满，请联系工作人员",
}


class Ui:
    def __init__(self, display, config, font_path=None):
        self.display = display
        self.config = config
        self.canvas = Canvas(Font(font_path), display.width, display.height)

    def show(self, name, args, online):
        data = getattr(self, "_" + name)(args)
        if data is None:
            return
        name, data = data
        if name == "idle":
            data["online"] = online
        screens.show(self.canvas, name, data, online)
        self.display.show(self.canvas)

    def _idle(self, a):
        duty = a.get("duty") or {}
        window = duty.get("win") or self.config.win
        if duty.get("st") == "pause":
            return "paused", {"window": window}
        d = {"hall": self.config.hall, "window": window}
        if duty.get("st") == "on":
            d["staff_id"] = duty.get("stf")
            d["staff_name"] = duty.get("stn")
        return "idle", d

    def _invitation(self, a):
        inv = a["inv"]
        return "invitation", {"matter": inv["mn"], "serial": inv["cs"], "staff_id": inv["stf"],
                              "staff_name": inv["stn"], "seconds": a["secs"]}

    def _labels(self, a):
        # lsv keys the screen's page layout cache (screens.label_pages): a
        # redraw after a button press then draws only the visible rows.
        return "labels", {"level": a["level"], "labels": a["items"], "cursor": a["cursor"],
                          "checked": a["chosen"], "other": bool(a.get("other")),
                          "hint": a.get("hint"), "lsv": self.config.lsv}

    def _thanks(self, a):
        return "thanks", {"level": a.get("level")}

    def _error(self, a):
        code = a.get("what", "error")
        return "error", {"message": ERROR_TEXTS.get(code, code), "code": code}
