#ifndef ATTENDANCE_CFASTCGI_SHIM_H
#define ATTENDANCE_CFASTCGI_SHIM_H
#include <fcgiapp.h>
/* glibc's allocator knobs (mallopt, malloc_trim): the responder's serving loop
   keeps its memory small with them. */
#include <malloc.h>
#include <sys/syscall.h>
#include <unistd.h>
/* The calling thread's id, for setpriority on that thread alone. */
static inline int attendance_gettid(void) { return (int)syscall(SYS_gettid); }
#endif
