#ifndef ATTENDANCE_CXSCREENSAVER_SHIM_H
#define ATTENDANCE_CXSCREENSAVER_SHIM_H
#include <dlfcn.h>
#include <stdio.h>
#include <X11/Xlib.h>
#include <X11/extensions/scrnsaver.h>

/* The X server's screen-saver extension, loaded at run time: the agent links no X
   library, so it runs where there is none. Asks `display` for the time since the last
   input (milliseconds) and whether the screen saver is on. Returns 0, or -1 with a
   message in `error`. */
static inline int attendance_x_idle(const char *display, unsigned long *idle_ms, int *saver_on,
                                    char *error, size_t error_size) {
    void *x11 = dlopen("libX11.so.6", RTLD_LAZY | RTLD_LOCAL);
    void *xss = x11 ? dlopen("libXss.so.1", RTLD_LAZY | RTLD_LOCAL) : NULL;
    int result = -1;
    if (!x11 || !xss) {
        snprintf(error, error_size, "cannot load %s (%s)", x11 ? "libXss.so.1" : "libX11.so.6", dlerror());
        goto done;
    }
    Display *(*open_display)(const char *) = (Display *(*)(const char *))dlsym(x11, "XOpenDisplay");
    int (*close_display)(Display *) = (int (*)(Display *))dlsym(x11, "XCloseDisplay");
    Window (*root_window)(Display *) = (Window (*)(Display *))dlsym(x11, "XDefaultRootWindow");
    int (*free_x)(void *) = (int (*)(void *))dlsym(x11, "XFree");
    Bool (*query_extension)(Display *, int *, int *) = (Bool (*)(Display *, int *, int *))dlsym(xss, "XScreenSaverQueryExtension");
    XScreenSaverInfo *(*alloc_info)(void) = (XScreenSaverInfo *(*)(void))dlsym(xss, "XScreenSaverAllocInfo");
    Status (*query_info)(Display *, Drawable, XScreenSaverInfo *) =
        (Status (*)(Display *, Drawable, XScreenSaverInfo *))dlsym(xss, "XScreenSaverQueryInfo");
    if (!open_display || !close_display || !root_window || !free_x || !query_extension || !alloc_info || !query_info) {
        snprintf(error, error_size, "libX11 or libXss lacks a function");
        goto done;
    }
    Display *connection = open_display(display);
    if (!connection) {
        snprintf(error, error_size, "cannot open X display %s", display);
        goto done;
    }
    int event_base, error_base;
    XScreenSaverInfo *info = query_extension(connection, &event_base, &error_base) ? alloc_info() : NULL;
    if (info && query_info(connection, root_window(connection), info)) {
        *idle_ms = info->idle;
        *saver_on = info->state == ScreenSaverOn;
        result = 0;
    } else {
        snprintf(error, error_size, "X display %s has no screen-saver extension", display);
    }
    if (info) free_x(info);
    close_display(connection);
done:
    /* libX11 is not unloaded: it keeps thread-local state that outlives the call. */
    if (xss) dlclose(xss);
    return result;
}
#endif
