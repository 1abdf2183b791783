package method

// Stateful is implemented by a Guide that carries state from one step to
// the next beyond the run's x_t and noise (an optimiser's moments, say).
// A run with such a guide can be made again only from its start; the
// others can resume at any step from x_t, the noise source's position and
// the evaluation counts (run.Replay uses that).
type Stateful interface{ Stateful() }
