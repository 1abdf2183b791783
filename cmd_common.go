package main

import (
	"context"
	"errors"
	"sync"

	"tweedie/core/imgio"
	"tweedie/core/method"
	"tweedie/core/prior"
	"tweedie/core/report"
	"tweedie/core/run"
	"tweedie/core/worker"
	"tweedie/internal/cli"
)

// loadPrior loads a --prior spec; a bad spec, or a model worker that
// fails to start, is a usage error. A prior that holds a worker is closed
// when the command returns (closePriors).
func loadPrior(spec string) (*prior.Prior, error) {
	return loadPriorContext(context.Background(), spec)
}

// loadPriorContext is loadPrior that stops when ctx is done (a model
// worker's handshake can take minutes).
func loadPriorContext(ctx context.Context, spec string) (*prior.Prior, error) {
	p, err := prior.LoadContext(ctx, spec)
	var se *prior.SpecError
	var we *worker.Error
	if errors.As(err, &se) || errors.As(err, &we) {
		return nil, cli.Usage(err)
	}
	if err == nil && p.Close != nil {
		openPriors.Lock()
		openPriors.list = append(openPriors.list, p)
		openPriors.Unlock()
	}
	return p, err
}

// openPriors are the priors loaded that hold a worker process.
var openPriors struct {
	sync.Mutex
	list []*prior.Prior
}

// closePriors closes every prior loadPrior opened: no worker process
// outlives the command.
func closePriors() {
	openPriors.Lock()
	list := openPriors.list
	openPriors.list = nil
	openPriors.Unlock()
	for _, p := range list {
		_ = p.Close()
	}
}

// problemSetup is the problem the flags describe on a prior, checked:
// its settings, the ground truths --image picks from (an --image-file
// first) and the one picked, and the Case a command runs.
type problemSetup struct {
	Settings run.Settings
	Truths   []prior.Truth
	Image    int
	Case     report.Case
}

// setupProblem loads the prior and resolves the problem flags on it. Every
// error it returns is a usage error except a failure to load a bundled
// prior.
func setupProblem(pf *problemFlags) (*problemSetup, error) {
	return setupProblemContext(context.Background(), pf)
}

// setupProblemContext is setupProblem that stops when ctx is done (a
// model worker's handshake).
func setupProblemContext(ctx context.Context, pf *problemFlags) (*problemSetup, error) {
	pd, err := loadPriorContext(ctx, pf.prior)
	if err != nil {
		return nil, err
	}
	st, err := pf.resolve(pd)
	if err != nil {
		return nil, cli.Usage(err)
	}
	return st, nil
}

// resolve checks the flags on prior pd as every command does: the prior's
// operator unless --op is given, the ground truth (test image N or a
// file), and the method, which must serve the problem. A method not asked
// for by --method that cannot serve it gives way to the first that can.
func (p *problemFlags) resolve(pd *prior.Prior) (*problemSetup, error) {
	if pd.DefaultOp != "" && !p.set("op") {
		p.op = pd.DefaultOp
	}
	if err := p.checkImageFlags(); err != nil {
		return nil, err
	}
	pr, err := p.settings(pd)
	if err != nil {
		return nil, err
	}
	st := &problemSetup{Truths: pd.Truths, Image: pr.Image}
	if pr.ImagePath != "" {
		im, err := imgio.Load(pr.ImagePath, pd.Model.ImageShape())
		if err != nil {
			return nil, err
		}
		st.Truths = append([]prior.Truth{{Name: pr.ImagePath, Image: im}}, pd.Truths...)
		st.Image = 0
	}
	truth := st.Truths[st.Image]
	c := &st.Case
	c.Prior, c.TruthName, c.Truth = pd, truth.Name, append([]float64(nil), truth.Image.Pix...)
	if c.Prob, err = pr.Settings.Problem(pd.Model, c.Truth); err != nil {
		return nil, err
	}
	if !pr.MethodSet {
		pr.Settings.Method = defaultMethod(c.Prob, pr.Settings)
	}
	st.Settings, c.NoiseSeed = pr.Settings, pr.Settings.NoiseSeed
	if c.Config, err = pr.Settings.Config(); err != nil {
		return nil, err
	}
	m := c.Config.Method
	if err := refuseParams(p.cmd, m); err != nil {
		return nil, err
	}
	v, err := m.Resolve(c.Config.Params, c.Prob.Op)
	if err == nil {
		err = m.Serves(c.Prob.Offer, v)
	}
	if err != nil {
		return nil, err
	}
	return st, nil
}

// defaultMethod is the settings' method when it serves the problem, else
// the first guidance method that does.
func defaultMethod(prob *run.Problem, s run.Settings) string {
	m, err := method.Lookup(s.Method)
	if err == nil {
		if v, err := m.Resolve(s.Params, prob.Op); err == nil && m.Serves(prob.Offer, v) == nil {
			return m.Name
		}
	}
	for _, alt := range method.Available(prob.Offer) {
		if !alt.Baseline {
			return alt.Name
		}
	}
	return s.Method
}
