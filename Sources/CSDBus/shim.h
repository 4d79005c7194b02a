#ifndef ATTENDANCE_CSDBUS_SHIM_H
#define ATTENDANCE_CSDBUS_SHIM_H
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
    int (*bus_new)(sd_bus **);
    int (*set_address)(sd_bus *, const char *);
    int (*set_bus_client)(sd_bus *, int);
    int (*start)(sd_bus *);
    int (*new_method_call)(sd_bus *, sd_bus_message **, const char *, const char *, const char *, const char *);
    int (*set_auto_start)(sd_bus_message *, int);
    int (*append)(sd_bus_message *, const char *, ...);
    int (*call)(sd_bus *, sd_bus_message *, uint64_t, sd_bus_error *, sd_bus_message **);
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
    ATTENDANCE_LOAD(bus_new, "sd_bus_new")
    ATTENDANCE_LOAD(set_address, "sd_bus_set_address")
    ATTENDANCE_LOAD(set_bus_client, "sd_bus_set_bus_client")
    ATTENDANCE_LOAD(start, "sd_bus_start")
    ATTENDANCE_LOAD(new_method_call, "sd_bus_message_new_method_call")
    ATTENDANCE_LOAD(set_auto_start, "sd_bus_message_set_auto_start")
    ATTENDANCE_LOAD(append, "sd_bus_message_append")
    ATTENDANCE_LOAD(call, "sd_bus_call")
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
/* The user's session bus, one connection per run: the desktop's idle monitor, screen
   saver and notification server are asked over it. `address` is a D-Bus address
   (DBUS_SESSION_BUS_ADDRESS, or unix:path=$XDG_RUNTIME_DIR/bus); sd_bus_open_user is not
   used because it needs XDG_RUNTIME_DIR, which cron does not set. */
typedef struct {
    attendance_sd_bus f;
    sd_bus *bus;
} attendance_user_bus;

/* What a failed call was: the name is not on the bus, no answer in time, or another error. */
enum { ATTENDANCE_BUS_FAILED = -1, ATTENDANCE_BUS_NOT_THERE = -2, ATTENDANCE_BUS_TIMED_OUT = -3 };

static inline int attendance_user_bus_open(attendance_user_bus *b, const char *address, uint64_t timeout_usec,
                                           char *error, size_t error_size) {
    error[0] = 0;
    b->bus = NULL;
    if (attendance_load_sd_bus(&b->f, error, error_size) < 0) return ATTENDANCE_BUS_FAILED;
    int r = b->f.bus_new(&b->bus);
    if (r >= 0) r = b->f.set_address(b->bus, address);
    if (r >= 0) r = b->f.set_bus_client(b->bus, 1);
    if (r >= 0) r = b->f.start(b->bus);
    if (r < 0) {
        snprintf(error, error_size, "cannot reach the session bus %s: %s", address, strerror(-r));
        if (b->bus) b->f.flush_close_unref(b->bus);
        b->bus = NULL;
        return r == -ENOENT || r == -ECONNREFUSED ? ATTENDANCE_BUS_NOT_THERE : ATTENDANCE_BUS_FAILED;
    }
    b->f.set_method_call_timeout(b->bus, timeout_usec);
    return 0;
}

static inline void attendance_user_bus_close(attendance_user_bus *b) {
    if (b->bus) b->f.flush_close_unref(b->bus);
    b->bus = NULL;
}

/* A failed call's kind, with its message in `error`. */
static inline int attendance_bus_failure(int r, sd_bus_error *bus_error, char *error, size_t error_size) {
    const char *name = bus_error->name ? bus_error->name : "";
    int kind = ATTENDANCE_BUS_FAILED;
    if (strcmp(name, "org.freedesktop.DBus.Error.ServiceUnknown") == 0 ||
        strcmp(name, "org.freedesktop.DBus.Error.NameHasNoOwner") == 0) {
        snprintf(error, error_size, "not on the session bus");
        kind = ATTENDANCE_BUS_NOT_THERE;
    } else if (r == -ETIMEDOUT || strcmp(name, "org.freedesktop.DBus.Error.Timeout") == 0 ||
               strcmp(name, "org.freedesktop.DBus.Error.NoReply") == 0) {
        snprintf(error, error_size, "timed out");
        kind = ATTENDANCE_BUS_TIMED_OUT;
    } else {
        snprintf(error, error_size, "%s%s%s", bus_error->message ? bus_error->message : strerror(r < 0 ? -r : r),
                 bus_error->name ? ", " : "", bus_error->name ? bus_error->name : "");
    }
    return kind;
}

/* Calls a method without arguments whose answer is one value of `type` ('t', 'u' or 'b'),
   stored in `value`. The call never starts a service (no D-Bus activation): a desktop
   that is not running says nothing. Returns 0, or one of the kinds above. */
static inline int attendance_user_bus_get(attendance_user_bus *b, const char *destination, const char *path,
                                          const char *interface, const char *member, char type, uint64_t *value,
                                          char *error, size_t error_size) {
    sd_bus_message *call = NULL, *reply = NULL;
    sd_bus_error bus_error = SD_BUS_ERROR_NULL;
    int result = 0;
    error[0] = 0;
    int r = b->f.new_method_call(b->bus, &call, destination, path, interface, member);
    if (r >= 0) r = b->f.set_auto_start(call, 0);
    if (r >= 0) r = b->f.call(b->bus, call, 0, &bus_error, &reply);
    if (r < 0) {
        result = attendance_bus_failure(r, &bus_error, error, error_size);
    } else if (type == 't') {
        uint64_t v = 0;
        r = b->f.read(reply, "t", &v);
        *value = v;
    } else if (type == 'u') {
        uint32_t v = 0;
        r = b->f.read(reply, "u", &v);
        *value = v;
    } else {
        int v = 0;
        r = b->f.read(reply, "b", &v);
        *value = (uint64_t)(v != 0);
    }
    if (result == 0 && r < 0) {
        snprintf(error, error_size, "%s answered with something other than '%c'", member, type);
        result = ATTENDANCE_BUS_FAILED;
    }
    b->f.error_free(&bus_error);
    if (reply) b->f.message_unref(reply);
    if (call) b->f.message_unref(call);
    return result;
}

/* org.freedesktop.Notifications.Notify: one notification, no actions, the server's own
   expiry. Returns 0 (its id in `id`), or one of the kinds above. */
static inline int attendance_user_bus_notify(attendance_user_bus *b, const char *application, const char *summary,
                                             const char *body, uint32_t *id, char *error, size_t error_size) {
    sd_bus_message *call = NULL, *reply = NULL;
    sd_bus_error bus_error = SD_BUS_ERROR_NULL;
    int result = 0;
    error[0] = 0;
    int r = b->f.new_method_call(b->bus, &call, "org.freedesktop.Notifications", "/org/freedesktop/Notifications",
                                 "org.freedesktop.Notifications", "Notify");
    if (r >= 0) r = b->f.set_auto_start(call, 0);
    if (r >= 0) r = b->f.append(call, "susssasa{sv}i", application, (uint32_t)0, "", summary, body, 0, 0, (int32_t)-1);
    if (r >= 0) r = b->f.call(b->bus, call, 0, &bus_error, &reply);
    if (r < 0) {
        result = attendance_bus_failure(r, &bus_error, error, error_size);
    } else if (b->f.read(reply, "u", id) < 0) {
        snprintf(error, error_size, "Notify answered with something other than an id");
        result = ATTENDANCE_BUS_FAILED;
    }
    b->f.error_free(&bus_error);
    if (reply) b->f.message_unref(reply);
    if (call) b->f.message_unref(call);
    return result;
}
#endif
