package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// interrupts turns signals into the two levels of stopping a rollout. The
// first SIGINT closes stop: nothing new starts and running instances finish.
// The second SIGINT, or any SIGTERM, cancels ctx, which terraform-exec
// forwards to every running terraform as an interrupt so it stops
// gracefully and releases its lock. The one after that exits at once. The
// kernel then kills the terraform processes, because they run with a
// parent-death signal, and that may leave a lock behind.
type interrupts struct {
	stop   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	ch     chan os.Signal
	done   chan struct{}
	once   sync.Once
}

func watchInterrupts(stderr io.Writer) *interrupts {
	ctx, cancel := context.WithCancel(context.Background())
	in := &interrupts{
		stop:   make(chan struct{}),
		ctx:    ctx,
		cancel: cancel,
		ch:     make(chan os.Signal, 4),
		done:   make(chan struct{}),
	}
	signal.Notify(in.ch, os.Interrupt, syscall.SIGTERM)
	go in.loop(stderr)
	return in
}

func (in *interrupts) loop(stderr io.Writer) {
	count := 0
	for {
		select {
		case <-in.done:
			return
		case sig := <-in.ch:
			count++
			if sig == syscall.SIGTERM && count < 2 {
				count = 2
				close(in.stop)
			}
			switch count {
			case 1:
				close(in.stop)
				fmt.Fprintln(stderr, "\nrollout: interrupt received: no new instances will start; running ones finish. Press Ctrl-C again to interrupt them.")
			case 2:
				in.cancel()
				fmt.Fprintln(stderr, "\nrollout: interrupting running terraform processes; they stop gracefully and release their locks. Press Ctrl-C again to kill them.")
			default:
				fmt.Fprintln(stderr, "\nrollout: killed; state locks of running instances may be left behind")
				os.Exit(ExitInterrupted)
			}
		}
	}
}

func (in *interrupts) close() {
	in.once.Do(func() {
		signal.Stop(in.ch)
		close(in.done)
		in.cancel()
	})
}
