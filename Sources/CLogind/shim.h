#ifndef ATTENDANCE_CLOGIND_SHIM_H
#define ATTENDANCE_CLOGIND_SHIM_H
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

/* What logind says of one session (org.freedesktop.login1.Session properties). */
typedef struct {
    char type[16];              /* "x11", "wayland", "mir", "tty", ... */
    int locked;                 /* LockedHint */
    int idle;                   /* IdleHint */
    uint64_t idle_since_usec;   /* IdleSinceHint: CLOCK_REALTIME microseconds */
} attendance_session;

/* The sd-bus functions used, from libsystemd loaded at run time: a run with the idle
   check off (IDLE_MINUTES=0) does not pay for loading it and the seven libraries it
   needs, and a machine without libsystemd still runs the agent. */
typedef struct {
    int (*open_system)(sd_bus **);
    int (*set_method_call_timeout)(sd_bus *, uint64_t);
    int (*call_method)(sd_bus *, const char *, const char *, const char *, const char *, sd_bus_error *,
                       sd_bus_message **, const char *, ...);
    int (*enter_container)(sd_bus_message *, char, const char *);
    int (*read)(sd_bus_message *, const char *, ...);
    int (*exit_container)(sd_bus_message *);
    int (*skip)(sd_bus_message *, const char *);
    void (*error_free)(sd_bus_error *);
    sd_bus_message *(*message_unref)(sd_bus_message *);
    sd_bus *(*flush_close_unref)(sd_bus *);
} attendance_sd_bus;

static inline int attendance_load_sd_bus(attendance_sd_bus *f, char *error, size_t error_size) {
    /* Not closed: libsystemd keeps per-thread state until the process ends. */
    void *library = dlopen("libsystemd.so.0", RTLD_LAZY | RTLD_LOCAL);
    if (!library) {
        snprintf(error, error_size, "cannot load libsystemd.so.0 (%s)", dlerror());
        return -1;
    }
#define ATTENDANCE_LOAD(field, name) if (!(*(void **)&f->field = dlsym(library, name))) { \
        snprintf(error, error_size, "libsystemd.so.0 lacks %s", name); return -1; }
    ATTENDANCE_LOAD(open_system, "sd_bus_open_system")
    ATTENDANCE_LOAD(set_method_call_timeout, "sd_bus_set_method_call_timeout")
    ATTENDANCE_LOAD(call_method, "sd_bus_call_method")
    ATTENDANCE_LOAD(enter_container, "sd_bus_message_enter_container")
    ATTENDANCE_LOAD(read, "sd_bus_message_read")
    ATTENDANCE_LOAD(exit_container, "sd_bus_message_exit_container")
    ATTENDANCE_LOAD(skip, "sd_bus_message_skip")
    ATTENDANCE_LOAD(error_free, "sd_bus_error_free")
    ATTENDANCE_LOAD(message_unref, "sd_bus_message_unref")
    ATTENDANCE_LOAD(flush_close_unref, "sd_bus_flush_close_unref")
#undef ATTENDANCE_LOAD
    return 0;
}

/* sd-bus reads message fields through variadic functions, which Swift cannot call:
   the whole exchange is here. Lists the sessions of `uid` on the system bus
   (DBUS_SYSTEM_BUS_ADDRESS is honoured) into `out`, at most `capacity`. Returns their
   number, or -1 with a message in `error`. Each call waits at most `timeout_usec`. */
static inline int attendance_logind_sessions(uint32_t uid, attendance_session *out, int capacity,
                                             uint64_t timeout_usec, char *error, size_t error_size) {
    attendance_sd_bus f;
    error[0] = 0;
    if (attendance_load_sd_bus(&f, error, error_size) < 0) return -1;
    sd_bus *bus = NULL;
    sd_bus_message *reply = NULL;
    sd_bus_error bus_error = SD_BUS_ERROR_NULL;
    char paths[16][256];
    int found = 0, r;
#define ATTENDANCE_FAIL(what) do { \
        snprintf(error, error_size, "%s: %s", what, bus_error.message ? bus_error.message : strerror(r < 0 ? -r : r)); \
        found = -1; goto done; } while (0)
    r = f.open_system(&bus);
    if (r < 0) ATTENDANCE_FAIL("cannot reach the system bus");
    f.set_method_call_timeout(bus, timeout_usec);
    r = f.call_method(bus, "org.freedesktop.login1", "/org/freedesktop/login1",
                           "org.freedesktop.login1.Manager", "ListSessions", &bus_error, &reply, "");
    if (r < 0) ATTENDANCE_FAIL("logind ListSessions");
    r = f.enter_container(reply, 'a', "(susso)");
    if (r < 0) ATTENDANCE_FAIL("logind ListSessions reply");
    while (found < capacity && found < 16) {
        const char *id, *user, *seat, *path;
        uint32_t session_uid;
        r = f.read(reply, "(susso)", &id, &session_uid, &user, &seat, &path);
        if (r < 0) ATTENDANCE_FAIL("logind ListSessions reply");
        if (r == 0) break;
        if (session_uid != uid || strlen(path) >= sizeof paths[0]) continue;
        strcpy(paths[found], path);
        found++;
    }
    /* One GetAll per session (not a Get per property): one round trip instead of four. */
    for (int i = 0; i < found; i++) {
        attendance_session *session = &out[i];
        memset(session, 0, sizeof *session);
        f.message_unref(reply);
        reply = NULL;
        r = f.call_method(bus, "org.freedesktop.login1", paths[i], "org.freedesktop.DBus.Properties", "GetAll",
                          &bus_error, &reply, "s", "org.freedesktop.login1.Session");
        if (r < 0) ATTENDANCE_FAIL("logind session properties");
        r = f.enter_container(reply, 'a', "{sv}");
        if (r < 0) ATTENDANCE_FAIL("logind session properties reply");
        int seen = 0;
        while ((r = f.enter_container(reply, 'e', "sv")) > 0) {
            const char *name = NULL;
            r = f.read(reply, "s", &name);
            if (r < 0) ATTENDANCE_FAIL("logind session property name");
            if (strcmp(name, "Type") == 0) {
                const char *type = NULL;
                r = f.read(reply, "v", "s", &type);
                if (r >= 0) snprintf(session->type, sizeof session->type, "%s", type);
                seen |= 1;
            } else if (strcmp(name, "LockedHint") == 0) {
                r = f.read(reply, "v", "b", &session->locked);
                seen |= 2;
            } else if (strcmp(name, "IdleHint") == 0) {
                r = f.read(reply, "v", "b", &session->idle);
                seen |= 4;
            } else if (strcmp(name, "IdleSinceHint") == 0) {
                r = f.read(reply, "v", "t", &session->idle_since_usec);
                seen |= 8;
            } else {
                r = f.skip(reply, "v");
            }
            if (r < 0) ATTENDANCE_FAIL("logind session property value");
            r = f.exit_container(reply);
            if (r < 0) ATTENDANCE_FAIL("logind session properties reply");
        }
        if (r < 0) ATTENDANCE_FAIL("logind session properties reply");
        if (seen != 15) { r = EPROTO; ATTENDANCE_FAIL("logind session lacks Type, LockedHint, IdleHint or IdleSinceHint"); }
    }
done:
#undef ATTENDANCE_FAIL
    f.error_free(&bus_error);
    if (reply) f.message_unref(reply);
    if (bus) f.flush_close_unref(bus);
    return found;
}
#endif
