// Package serve serves tweedie's explorer over SSH with Wish: every
// session gets its own explorer (tui.Session) with its own state, terminal
// size and colour profile.
//
// A connection goes through connection-level policy first: the bounds on
// each source's connection rate and on connections that have not
// authenticated yet (preauth.go), public-key authentication (auth.go,
// keyring.go) and the bounds on a connection's session channels and their
// requests (requests.go). Each session then
// passes through wish middlewares, each one policy in its own file, in
// this order:
//
//	logSessions   logging.go  a logger per session; "session end" with reason and duration
//	recoverPanics recover.go  a panic ends its session alone, with its stack in the log
//	checkKey      auth.go     the session's key is still authorised
//	requirePty    pty.go      a terminal, no command; window sizes clamped, the latest kept
//	admit         admit.go    at most MaxSessions at once; none once shutting down
//	watchClient   watch.go    ends the session when its client leaves or falls idle
//
// and then runs the explorer (explorer.go), the only code here that knows
// the tui package.
//
// Authentication is by public key only. With an authorized-keys file only
// its keys get in (it is read at every login; while it is missing,
// malformed or not a regular file no one gets in); without one any public
// key is accepted, and only on a loopback address (New refuses any other).
// Passwords and keyboard-interactive are never offered.
//
// The colour profile of a session comes from what the client sends: the
// TERM of its pseudo-terminal request, and COLORTERM or NO_COLOR only when
// the client forwards them (OpenSSH: -o SetEnv=COLORTERM=truecolor, or
// SendEnv). An SSH server sees nothing else of the terminal.
//
// docs/serve.md states every bound and what each middleware does.
package serve
