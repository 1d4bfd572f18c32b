package chdb

import (
	"fmt"
	"syscall"
	"unsafe"
)

// deadlySignals are the signals chDB handles itself unless told not to
// (SIGABRT, SIGSEGV, SIGILL, SIGBUS, SIGSYS, SIGFPE, SIGTSTP, SIGTRAP). The
// Go runtime owns most of them: with chDB's handlers a nil dereference no
// longer panics, and chDB's handler sleeps minutes before it re-raises.
var deadlySignals = []syscall.Signal{syscall.SIGABRT, syscall.SIGSEGV, syscall.SIGILL, syscall.SIGBUS,
	syscall.SIGSYS, syscall.SIGFPE, syscall.SIGTSTP, syscall.SIGTRAP}

// sigaction is the kernel's struct sigaction on linux/amd64.
type sigaction struct {
	handler, flags, restorer, mask uintptr
}

func rtSigaction(sig syscall.Signal, act, old *sigaction) error {
	_, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig),
		uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), 8, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// keepSignals runs start (which starts the engine) and leaves the
// process's handlers of deadlySignals as they were before it: the engine
// is told not to install its own, and anything it changed all the same is
// put back.
func keepSignals(start func() error) error {
	saved := make([]sigaction, len(deadlySignals))
	for i, sig := range deadlySignals {
		if err := rtSigaction(sig, nil, &saved[i]); err != nil {
			return fmt.Errorf("read the handler of %v: %w", sig, err)
		}
	}
	chdbSetSignalHandlersEnabled(0)
	err := start()
	for i, sig := range deadlySignals {
		var now sigaction
		if rtSigaction(sig, nil, &now) == nil && now != saved[i] {
			if e := rtSigaction(sig, &saved[i], nil); e != nil && err == nil {
				err = fmt.Errorf("restore the handler of %v: %w", sig, e)
			}
		}
	}
	return err
}
