#!/usr/bin/env python3
"""Small stand-ins for a desktop's session services on a private D-Bus: GNOME's
org.gnome.Mutter.IdleMonitor (GetIdletime), the freedesktop org.freedesktop.ScreenSaver
(GetActive, GetSessionIdleTime) and a notification server org.freedesktop.Notifications
(Notify, each call appended to a file). What they answer is read from a JSON file at every
call, so a test changes it by rewriting the file:

    {"mutter_idle_ms": 1200, "screensaver_active": false, "screensaver_idle_ms": null,
     "delay": 0}

(`screensaver_idle_ms` null: GetSessionIdleTime answers NotSupported, as KDE on Wayland
does; `delay`: seconds each call sleeps before it answers.)

usage: fake_desktop.py STATE_JSON CALLS_FILE SERVICE...   (SERVICE: mutter, screensaver,
notifications; DBUS_SESSION_BUS_ADDRESS names the bus to join)"""
import json
import os
import sys
import time

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

STATE, CALLS, SERVICES = sys.argv[1], sys.argv[2], sys.argv[3:]


def state():
    with open(STATE) as file:
        values = json.load(file)
    time.sleep(values.get("delay", 0))
    return values


class Mutter(dbus.service.Object):
    @dbus.service.method("org.gnome.Mutter.IdleMonitor", out_signature="t")
    def GetIdletime(self):
        return dbus.UInt64(state()["mutter_idle_ms"])


class ScreenSaver(dbus.service.Object):
    @dbus.service.method("org.freedesktop.ScreenSaver", out_signature="b")
    def GetActive(self):
        return dbus.Boolean(state()["screensaver_active"])

    @dbus.service.method("org.freedesktop.ScreenSaver", out_signature="u")
    def GetSessionIdleTime(self):
        idle = state().get("screensaver_idle_ms")
        if idle is None:
            raise dbus.exceptions.DBusException("GetSessionIdleTime is not supported on this platform",
                                                name="org.freedesktop.DBus.Error.NotSupported")
        return dbus.UInt32(idle)


class Notifications(dbus.service.Object):
    def __init__(self, bus, path):
        super().__init__(bus, path)
        self.next_id = 1

    @dbus.service.method("org.freedesktop.Notifications", in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app, replaces, icon, summary, body, actions, hints, timeout):
        state()
        with open(CALLS, "a") as file:
            file.write(json.dumps({"app": str(app), "replaces": int(replaces), "icon": str(icon), "summary": str(summary),
                                   "body": str(body), "actions": [str(a) for a in actions], "timeout": int(timeout)}) + "\n")
        self.next_id += 1
        return dbus.UInt32(self.next_id - 1)

    @dbus.service.method("org.freedesktop.Notifications", out_signature="ssss")
    def GetServerInformation(self):
        return ("fake", "attendance-tests", "1", "1.2")


DBusGMainLoop(set_as_default=True)
bus = dbus.bus.BusConnection(os.environ["DBUS_SESSION_BUS_ADDRESS"])
names = []
if "mutter" in SERVICES:
    names.append(dbus.service.BusName("org.gnome.Mutter.IdleMonitor", bus))
    Mutter(bus, "/org/gnome/Mutter/IdleMonitor/Core")
if "screensaver" in SERVICES:
    names.append(dbus.service.BusName("org.freedesktop.ScreenSaver", bus))
    ScreenSaver(bus, "/org/freedesktop/ScreenSaver")
if "notifications" in SERVICES:
    names.append(dbus.service.BusName("org.freedesktop.Notifications", bus))
    Notifications(bus, "/org/freedesktop/Notifications")
print("ready", flush=True)
GLib.MainLoop().run()
