package serve

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"charm.land/ssh"
)

// Bounds on connections that have not authenticated yet: idle connections
// that never send a banner would otherwise take every file descriptor and
// lock authorised users out.
const (
	// DefaultMaxUnauthenticated bounds them in total.
	DefaultMaxUnauthenticated = 256
	// DefaultMaxUnauthenticatedPerSource bounds them per source: an IPv4
	// address, or an IPv6 /64 (what one host usually has).
	DefaultMaxUnauthenticatedPerSource = 8
	// kexTimeout bounds the time from connecting to the first
	// authentication request: banner and key exchange, which need no
	// person. handshakeTimeout then bounds the whole authentication.
	kexTimeout = 10 * time.Second
	// sourceRate and sourceBurst bound how fast one source opens
	// connections: sourceRate a second on average, sourceBurst at once.
	// A connection over it is closed as soon as it is accepted (gate's
	// listener), before any handshake, so that a client reconnecting as
	// fast as it can costs an accept and a close per attempt.
	sourceRate  = 10
	sourceBurst = 20
	// maxRateSources bounds the sources whose rate is followed; past it,
	// a new source is let through unmetered (the bounds above still hold).
	maxRateSources = 4096
)

// gate keeps the connections that have not authenticated within bounds,
// in total and per source: a new one over a bound closes the one of its
// source (or, over the total, of any source) that has been idle longest,
// and one that has not asked to authenticate within kex is closed. A
// connection leaves the gate once it authenticates, or closes. Its
// listener closes the connections of a source over its rate as they are
// accepted.
type gate struct {
	maxTotal, maxPerSource int
	kex                    time.Duration
	log                    *slog.Logger

	mu       sync.Mutex
	waiting  map[*gatedConn]struct{}
	bySource map[string]int
	rate     map[string]*bucket // sources' connection rates
	dropped  int                // closed over a bound, not logged yet
	refused  int                // closed over the rate, not logged yet
	logged   time.Time          // when the last line about dropping was logged
}

// bucket is a token bucket of a source's connections.
type bucket struct {
	tokens float64
	last   time.Time
}

// gateLogEvery is the most often the gate logs that it drops connections.
const gateLogEvery = 10 * time.Second

func newGate(maxTotal, maxPerSource int, kex time.Duration, log *slog.Logger) *gate {
	return &gate{maxTotal: maxTotal, maxPerSource: maxPerSource, kex: kex, log: log,
		waiting: make(map[*gatedConn]struct{}), bySource: make(map[string]int), rate: make(map[string]*bucket)}
}

// gatedConn is a connection in the gate until it authenticates.
type gatedConn struct {
	net.Conn
	g      *gate
	source string
	last   atomic.Int64 // unix nanoseconds of the last bytes read
	asked  atomic.Bool  // it asked to authenticate
	kex    *time.Timer
}

// gateKey is the context key of a connection's gatedConn.
type gateKey struct{}

// listener is ln with the connections of a source over its rate
// (sourceRate) closed as they are accepted.
func (g *gate) listener(ln net.Listener) net.Listener { return rateListener{ln, g} }

type rateListener struct {
	net.Listener
	g *gate
}

func (l rateListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.g.mu.Lock()
		ok := l.g.allow(sourceOf(conn.RemoteAddr()), time.Now())
		if !ok {
			l.g.refused++
		}
		l.g.mu.Unlock()
		if ok {
			return conn, nil
		}
		conn.Close()
		l.g.report()
	}
}

// admit takes a new connection into the gate (an ssh.ConnCallback).
func (g *gate) admit(ctx ssh.Context, conn net.Conn) net.Conn {
	c := g.take(conn)
	ctx.SetValue(gateKey{}, c)
	return c
}

// take takes a new connection into the gate, closing the idlest first
// when it would be over a bound.
func (g *gate) take(conn net.Conn) *gatedConn {
	c := &gatedConn{Conn: conn, g: g, source: sourceOf(conn.RemoteAddr())}
	c.last.Store(time.Now().UnixNano())
	c.kex = time.AfterFunc(g.kex, func() {
		if !c.asked.Load() {
			g.remove(c)
			c.Conn.Close()
		}
	})
	var evict []*gatedConn
	g.mu.Lock()
	if g.bySource[c.source] >= g.maxPerSource {
		evict = append(evict, g.idlest(c.source))
		g.removeLocked(evict[0])
	}
	if len(g.waiting) >= g.maxTotal {
		e := g.idlest("")
		g.removeLocked(e)
		evict = append(evict, e)
	}
	g.waiting[c] = struct{}{}
	g.bySource[c.source]++
	g.dropped += len(evict)
	g.mu.Unlock()

	for _, e := range evict {
		e.Conn.Close() // its handshake fails, and the ssh package closes it
	}
	g.report()
	return c
}

// allow reports whether source may open a connection now, and counts it
// (a token bucket of sourceBurst tokens, sourceRate a second). g.mu is
// held.
func (g *gate) allow(source string, now time.Time) bool {
	b := g.rate[source]
	if b == nil {
		if len(g.rate) >= maxRateSources {
			for s, b := range g.rate { // forget the sources back to a full bucket
				if b.tokens+now.Sub(b.last).Seconds()*sourceRate >= sourceBurst {
					delete(g.rate, s)
				}
			}
			if len(g.rate) >= maxRateSources {
				return true
			}
		}
		b = &bucket{tokens: sourceBurst, last: now}
		g.rate[source] = b
	}
	b.tokens = min(sourceBurst, b.tokens+now.Sub(b.last).Seconds()*sourceRate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// report logs what the gate closed since it last did, at most every
// gateLogEvery, rather than a line per connection.
func (g *gate) report() {
	g.mu.Lock()
	if g.dropped+g.refused == 0 || time.Since(g.logged) < gateLogEvery {
		g.mu.Unlock()
		return
	}
	dropped, refused, waiting := g.dropped, g.refused, len(g.waiting)
	g.dropped, g.refused, g.logged = 0, 0, time.Now()
	g.mu.Unlock()
	g.log.Warn("unauthenticated connections over the bounds: closed", "idlest", dropped, "over_rate", refused,
		"waiting", waiting, "max", g.maxTotal, "max_per_source", g.maxPerSource, "rate_per_source", sourceRate)
}

// idlest is the waiting connection of source ("" any) idle longest.
func (g *gate) idlest(source string) *gatedConn {
	var best *gatedConn
	for c := range g.waiting {
		if (source == "" || c.source == source) && (best == nil || c.last.Load() < best.last.Load()) {
			best = c
		}
	}
	return best
}

// removeLocked takes c out of the gate, if it is in.
func (g *gate) removeLocked(c *gatedConn) {
	if _, ok := g.waiting[c]; !ok {
		return
	}
	delete(g.waiting, c)
	if g.bySource[c.source]--; g.bySource[c.source] == 0 {
		delete(g.bySource, c.source)
	}
}

func (g *gate) remove(c *gatedConn) {
	g.mu.Lock()
	g.removeLocked(c)
	g.mu.Unlock()
}

// authLog follows the connection of ctx through authentication (from the
// ssh package's AuthLogCallback): see progress.
func (g *gate) authLog(ctx ssh.Context, method string, err error) {
	if c, ok := ctx.Value(gateKey{}).(*gatedConn); ok {
		g.progress(c, method, err)
	}
}

// progress notes an authentication request of c: the first ends its
// key-exchange deadline, and success takes it out of the gate.
func (g *gate) progress(c *gatedConn, method string, err error) {
	if c.asked.CompareAndSwap(false, true) {
		c.kex.Stop()
	}
	if err == nil && method == "publickey" {
		g.remove(c)
	}
}

// waitingFrom is how many connections of source wait in the gate.
func (g *gate) waitingFrom(source string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.bySource[source]
}

func (c *gatedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.last.Store(time.Now().UnixNano())
	}
	return n, err
}

// Close closes the connection and takes it out of the gate.
func (c *gatedConn) Close() error {
	c.kex.Stop()
	c.g.remove(c)
	return c.Conn.Close()
}

// closedByGate reports whether err is that of a connection closed under
// its handshake: by the gate, or by a shutdown. The gate logs those in
// bulk, not one by one.
func closedByGate(err error) bool { return errors.Is(err, net.ErrClosed) }

// sourceOf is the source an address is counted under: its IP for IPv4,
// its /64 for IPv6, the whole address otherwise.
func sourceOf(a net.Addr) string {
	t, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if ip4 := t.IP.To4(); ip4 != nil {
		return ip4.String()
	}
	return (&net.IPNet{IP: t.IP.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}
