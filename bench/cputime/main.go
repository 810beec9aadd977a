//go:build linux

// Command cputime runs a program and writes the CPU time of that program's
// own process, apart from the CPU time of the processes it started. The
// benchmark uses it to tell rollout's cost from the cost of the terraform
// processes that rollout runs.
//
// Usage:
//
//	cputime -o FILE PROGRAM [ARG...]
//
// FILE receives one line of seconds: wall, user and system time of the
// process itself, user and system time of its waited-for descendants,
// then the maximum resident set size in KiB of the process or any
// descendant, whichever is larger. cputime exits with the program's exit
// code.
//
// The rusage that wait4 returns adds the descendants in, so cputime waits
// for the exit with waitid(WNOWAIT), which leaves the process a zombie, and
// reads /proc/PID/stat while it is one. That file lists the process's own
// utime and stime apart from its children's cutime and cstime, all in clock
// ticks of 10 ms. The kernel may account them by sampling at each timer
// tick, so a figure below about 0.1 s is rough.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// clockTick is the unit of the times in /proc/PID/stat. Linux reports them
// in USER_HZ, which is 100 on x86 and arm64.
const clockTick = 10 * time.Millisecond

// Constants of waitid(2) that package syscall does not define on Linux.
const (
	idTypePID = 1          // P_PID
	wNoWait   = 0x01000000 // WNOWAIT
)

// usage is the CPU time and memory of one finished process.
type usage struct {
	wall                   time.Duration
	user, system           time.Duration
	childUser, childSystem time.Duration
	maxRSSKiB              int64
}

func main() {
	os.Exit(run())
}

func run() int {
	out := flag.String("o", "", "file to write the measurements to")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: cputime -o FILE PROGRAM [ARG...]")
	}
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		flag.Usage()
		return 2
	}

	u, code, err := measure(flag.Args())
	if err != nil {
		fmt.Fprintf(os.Stderr, "cputime: %v\n", err)
		return 1
	}
	line := fmt.Sprintf("%.3f %.2f %.2f %.2f %.2f %d\n",
		u.wall.Seconds(), u.user.Seconds(), u.system.Seconds(),
		u.childUser.Seconds(), u.childSystem.Seconds(), u.maxRSSKiB)
	if err := os.WriteFile(*out, []byte(line), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "cputime: write measurements: %v\n", err)
		return 1
	}
	return code
}

// measure runs args and returns its usage and exit code.
func measure(args []string) (usage, int, error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr

	// The program gets a terminal's Ctrl-C itself. A SIGTERM sent to
	// cputime is passed on, so the program can stop cleanly.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return usage{}, 0, fmt.Errorf("start %s: %w", args[0], err)
	}
	go forwardTerm(signals, cmd.Process)

	if err := waitExited(cmd.Process.Pid); err != nil {
		return usage{}, 0, err
	}
	u := usage{wall: time.Since(start)}
	if err := readStat(cmd.Process.Pid, &u); err != nil {
		return usage{}, 0, err
	}

	var exitErr *exec.ExitError
	if err := cmd.Wait(); err != nil && !errors.As(err, &exitErr) {
		return usage{}, 0, fmt.Errorf("wait for %s: %w", args[0], err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		u.maxRSSKiB = ru.Maxrss
	}
	return u, cmd.ProcessState.ExitCode(), nil
}

func forwardTerm(signals <-chan os.Signal, p *os.Process) {
	for s := range signals {
		if s == syscall.SIGTERM {
			_ = p.Signal(s)
		}
	}
}

// waitExited blocks until process pid has exited, without reaping it.
func waitExited(pid int) error {
	// siginfo_t is 128 bytes on Linux. Its content is not needed.
	var info [128]byte
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, idTypePID, uintptr(pid),
			uintptr(unsafe.Pointer(&info[0])), syscall.WEXITED|wNoWait, 0, 0)
		switch errno {
		case 0:
			return nil
		case syscall.EINTR:
			continue
		}
		return fmt.Errorf("waitid %d: %w", pid, errno)
	}
}

// readStat fills the CPU times of an exited, unreaped process from
// /proc/PID/stat. The fields after the parenthesized command name start
// with the state (field 3), so utime, stime, cutime and cstime (fields 14
// to 17) are at indexes 11 to 14.
func readStat(pid int, u *usage) error {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return fmt.Errorf("read CPU times: %w", err)
	}
	s := string(b)
	end := strings.LastIndexByte(s, ')')
	fields := strings.Fields(s[end+1:])
	if end < 0 || len(fields) < 15 {
		return fmt.Errorf("read CPU times: unexpected /proc/%d/stat: %q", pid, s)
	}

	var ticks [4]int64
	for i := range ticks {
		ticks[i], err = strconv.ParseInt(fields[11+i], 10, 64)
		if err != nil {
			return fmt.Errorf("read CPU times: field %d of /proc/%d/stat: %w", 14+i, pid, err)
		}
	}
	u.user = time.Duration(ticks[0]) * clockTick
	u.system = time.Duration(ticks[1]) * clockTick
	u.childUser = time.Duration(ticks[2]) * clockTick
	u.childSystem = time.Duration(ticks[3]) * clockTick
	return nil
}
