// Compiled into every executable of a sanitizer build (cmake/AqpimSanitizers.cmake adds it); the
// environment's ASAN_OPTIONS / LSAN_OPTIONS / UBSAN_OPTIONS still override these defaults.
//
// SystemC runs thread processes on stacks of their own and reports each switch to AddressSanitizer, but
// after a thread process ends, ASan can still take the main thread's stack for that thread's (freed)
// stack; LeakSanitizer then scans it at exit and crashes ("Tracer caught signal 11", about one run in
// three). So thread stacks are not leak roots (use_stacks=0); globals, registers and the heap still are.
extern "C" const char* __lsan_default_options() { return "use_stacks=0"; }
extern "C" const char* __ubsan_default_options() { return "print_stacktrace=1"; }
