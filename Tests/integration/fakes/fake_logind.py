#!/usr/bin/env python3
"""A small stand-in for systemd-logind on a private D-Bus: org.freedesktop.login1 with
Manager.ListSessions and each session's LockedHint, IdleHint, IdleSinceHint and Type
(by Get and GetAll, as the real one answers),
read from a JSON file at every call, so a test changes them by rewriting the file:

    {"sessions": [{"id": "2", "uid": 0, "user": "root", "type": "x11",
                   "locked": false, "idle": false, "idle_since_usec": 0}]}

usage: fake_logind.py STATE_JSON   (DBUS_SYSTEM_BUS_ADDRESS names the bus to join)"""
import json
import os
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

STATE = sys.argv[1]
SESSION = "org.freedesktop.login1.Session"


def sessions():
    with open(STATE) as file:
        return json.load(file)["sessions"]


class Session(dbus.service.Object):
    def __init__(self, bus, session_id):
        self.session_id = session_id
        super().__init__(bus, f"/org/freedesktop/login1/session/_{session_id}")

    def state(self):
        return next(s for s in sessions() if s["id"] == self.session_id)

    def values(self):
        s = self.state()
        # A few of the other properties a real session has, so that readers skip what
        # they do not ask for.
        return {"Id": dbus.String(self.session_id), "Remote": dbus.Boolean(False), "Type": dbus.String(s["type"]),
                "LockedHint": dbus.Boolean(s["locked"]), "IdleHint": dbus.Boolean(s["idle"]),
                "IdleSinceHint": dbus.UInt64(s["idle_since_usec"]), "Timestamp": dbus.UInt64(0)}

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="ss", out_signature="v")
    def Get(self, interface, name):
        values = self.values()
        if interface != SESSION or name not in values:
            raise dbus.exceptions.DBusException(f"no property {interface}.{name}",
                                                name="org.freedesktop.DBus.Error.UnknownProperty")
        return values[name]

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="s", out_signature="a{sv}")
    def GetAll(self, interface):
        if interface != SESSION:
            raise dbus.exceptions.DBusException(f"no interface {interface}",
                                                name="org.freedesktop.DBus.Error.UnknownInterface")
        return self.values()


class Manager(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(bus, "/org/freedesktop/login1")
        self.bus = bus
        self.objects = {}

    @dbus.service.method("org.freedesktop.login1.Manager", out_signature="a(susso)")
    def ListSessions(self):
        result = []
        for s in sessions():
            if s["id"] not in self.objects:
                self.objects[s["id"]] = Session(self.bus, s["id"])
            result.append((s["id"], dbus.UInt32(s["uid"]), s["user"], "seat0",
                           dbus.ObjectPath(f"/org/freedesktop/login1/session/_{s['id']}")))
        return result


DBusGMainLoop(set_as_default=True)
bus = dbus.bus.BusConnection(os.environ["DBUS_SYSTEM_BUS_ADDRESS"])
name = dbus.service.BusName("org.freedesktop.login1", bus)
manager = Manager(bus)
print("ready", flush=True)
GLib.MainLoop().run()
