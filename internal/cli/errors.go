package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
)

// Exit statuses of every command.
const (
	ExitOK        = 0   // success
	ExitFailure   = 1   // the command failed (a diverged run, an output that could not be written)
	ExitUsage     = 2   // bad flags or values, reported before anything is written
	ExitInterrupt = 130 // interrupted (Ctrl-C); 128 + N for another signal N
)

// UsageError is the user's mistake (a flag, a value, an argument): exit
// status 2, and the message points to the command's help.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usage marks err as the user's (nil stays nil; a UsageError stays one).
func Usage(err error) error {
	var ue *UsageError
	if err == nil || errors.As(err, &ue) {
		return err
	}
	return &UsageError{err}
}

// Usagef is Usage of a formatted error.
func Usagef(format string, args ...any) error { return &UsageError{fmt.Errorf(format, args...)} }

// SignalError ends a command that a signal stopped: exit status 128 + the
// signal's number, as a shell reports a process the signal ended. Its
// message, when not empty, is printed ("interrupted; nothing written").
type SignalError struct {
	Signal syscall.Signal
	Msg    string
}

func (e *SignalError) Error() string { return e.Msg }

// Interrupted is a SignalError for SIGINT.
func Interrupted(msg string) error { return &SignalError{Signal: syscall.SIGINT, Msg: msg} }

// ExitError ends a command that reported its errors itself (one line each,
// PrintError) with exit status Code.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// PrintError writes err on one line as the command at path reports it
// off a terminal ("tweedie run: what is wrong", and for a usage error
// " (run tweedie run -h for usage)") and returns its exit status.
func PrintError(w io.Writer, path string, err error) int {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	code := ExitCode(err)
	if code == ExitUsage {
		msg += fmt.Sprintf(" (run %s -h for usage)", path)
	}
	fmt.Fprintf(w, "%s: %s\n", path, msg)
	return code
}

// ExitCode is the exit status for an error Execute returned.
func ExitCode(err error) int {
	var ue *UsageError
	var se *SignalError
	var ee *ExitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &se):
		return 128 + int(se.Signal)
	case errors.As(err, &ue):
		return ExitUsage
	}
	return ExitFailure
}
