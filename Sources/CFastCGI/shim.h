#ifndef ATTENDANCE_CFASTCGI_SHIM_H
#define ATTENDANCE_CFASTCGI_SHIM_H
#include <fcgiapp.h>
/* glibc's allocator knobs (mallopt, malloc_trim): the responder's serving loop
   keeps its memory small with them. */
#include <malloc.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sched.h>
/* Makes the calling thread SCHED_IDLE: it runs only when no normal thread (a heartbeat,
   nginx) wants the CPU. Returns 0, or -1 with errno. */
static inline int attendance_yield_to_others(void) {
    struct sched_param param = { .sched_priority = 0 };
    return sched_setscheduler((pid_t)syscall(SYS_gettid), 5 /* SCHED_IDLE */, &param);
}
#endif
