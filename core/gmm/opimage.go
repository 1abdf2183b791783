package gmm

import (
	"cmp"
	"container/list"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"

	"tweedie/core/operator"
)

// operatorImage is what the exact posterior needs of a mixture seen through
// a linear operator A, independent of y, σ and the noise level: W_k = A·U_k
// and either WᵀW (when A·Aᵀ = c·I) or W in the eigenbasis of A·Aᵀ. It costs
// K·q operator applications and O(K·q²·m) (plus an m×m eigen-decomposition
// when A·Aᵀ is not scalar), so it is computed once per (mixture, operator)
// and shared, read-only, by every measurement.
type operatorImage struct {
	normA2  float64     // ‖A‖² = λ_max(A·Aᵀ)
	scalar  bool        // A·Aᵀ = gramC·I
	gramC   float64     //
	gramEig []float64   // eigenvalues e_l of A·Aᵀ when not scalar
	w       [][]float64 // per component: W = A·U, q rows of length m
	wtw     [][]float64 // per component: WᵀW, q×q row-major (scalar case)
	wt      [][]float64 // per component: W̃ = W·Q, q rows of length m (non-scalar case)
	// gramEigDown, per component in the scalar case: the eigenvalues of WᵀW
	// in decreasing order; eigenUp: the indices j of λ_j in increasing order.
	gramEigDown [][]float64
	eigenUp     [][]int

	factors factorCache
	levels  levelCache
}

// levelCache keeps the latest noise levels of the exact guidance
// (ExactGuidance.noiseAt) by (ᾱ, σ): like factorCache, for the seeds of a
// lab's lockstep group at one step. Entries are copied in and out, so a
// slot is reused oldest first without a reader holding it.
type levelCache struct {
	sync.Mutex
	slots [levelSlots]noiseLevel
	next  int
}

// levelSlots is the size of a levelCache.
const levelSlots = 4

// get copies the level at (ᾱ, σ²) into dst and reports whether it was there.
func (c *levelCache) get(alphaBar, sigma2 float64, dst *noiseLevel) bool {
	c.Lock()
	defer c.Unlock()
	for i := range c.slots {
		if s := &c.slots[i]; s.a != nil && s.alphaBar == alphaBar && s.sigma2 == sigma2 {
			dst.copyFrom(s)
			return true
		}
	}
	return false
}

// put stores a copy of lv in the oldest slot.
func (c *levelCache) put(lv *noiseLevel) {
	c.Lock()
	defer c.Unlock()
	s := &c.slots[c.next]
	c.next = (c.next + 1) % len(c.slots)
	if s.a == nil {
		*s = noiseLevel{a: make([]float64, len(lv.a)), maxDelta: make([]float64, len(lv.a)),
			logDetB: make([]float64, len(lv.a)), logDetM: make([]float64, len(lv.a)),
			delta: make([][]float64, len(lv.delta)), meanCoef: make([][]float64, len(lv.delta))}
		for k := range s.delta {
			s.delta[k] = make([]float64, len(lv.delta[k]))
			s.meanCoef[k] = make([]float64, len(lv.delta[k]))
		}
	}
	s.copyFrom(lv)
}

// factorCache keeps the latest Cholesky factors of the capacitance M_k of
// the exact guidance (measurement.factorAt). M_k depends on the component,
// the noise level and σ, not on y or x_t: the seeds of a lab's lockstep
// group, all at one step, factor it once between them. Slots are reused
// oldest first, so the cache allocates only while it fills.
type factorCache struct {
	sync.Mutex
	slots [factorSlots]factorSlot
	next  int
}

// factorSlots is the size of a factorCache: a few components at each of a
// few noise levels (lockstep groups at different steps, time references).
const factorSlots = 16

type factorSlot struct {
	used             bool
	k                int
	alphaBar, sigma2 float64
	logDet           float64
	l                []float64 // the factor, q×q as cholesky leaves it
}

// imageCacheSize bounds the cache: an entry is K·q·m floats (7.5 MB for the
// MNIST prior and a 28×28 blur).
const imageCacheSize = 8

type imageKey struct {
	mix *Mixture
	op  string // the operator's canonical spec: equal specs are equal matrices
}

type imageEntry struct {
	key  imageKey
	once sync.Once
	img  *operatorImage
	err  error
}

// imageCache holds recent operator images, most recently used first.
var imageCache struct {
	sync.Mutex
	index map[imageKey]*list.Element // of *imageEntry
	order list.List
}

// imageOf returns the operator image of mix through op, computing it once.
func imageOf(mix *Mixture, op operator.Linear) (*operatorImage, error) {
	key := imageKey{mix, op.Name()}
	c := &imageCache
	c.Lock()
	if c.index == nil {
		c.index = map[imageKey]*list.Element{}
	}
	el, ok := c.index[key]
	if ok {
		c.order.MoveToFront(el)
	} else {
		el = c.order.PushFront(&imageEntry{key: key})
		c.index[key] = el
		if c.order.Len() > imageCacheSize {
			delete(c.index, c.order.Remove(c.order.Back()).(*imageEntry).key)
		}
	}
	e := el.Value.(*imageEntry)
	c.Unlock()
	e.once.Do(func() { e.img, e.err = computeImage(mix, op.Clone().(operator.Linear)) })
	return e.img, e.err
}

func computeImage(mix *Mixture, op operator.Linear) (*operatorImage, error) {
	d, m := mix.Dim(), op.OutLen()
	img := &operatorImage{w: make([][]float64, len(mix.Components))}
	img.scalar, img.gramC = scalarGram(op)
	var q *mat.Dense
	if img.scalar {
		img.normA2 = img.gramC
		img.wtw = make([][]float64, len(mix.Components))
		img.gramEigDown = make([][]float64, len(mix.Components))
		img.eigenUp = make([][]int, len(mix.Components))
	} else {
		eig, vecs, err := gramEigen(op)
		if err != nil {
			return nil, err
		}
		img.gramEig, q = eig, vecs
		img.normA2 = slices.Max(eig)
		img.wt = make([][]float64, len(mix.Components))
	}
	for k := range mix.Components {
		c := &mix.Components[k]
		rank := c.Rank()
		img.w[k] = make([]float64, rank*m)
		for j := 0; j < rank; j++ {
			op.Apply(img.w[k][j*m:(j+1)*m], c.Basis[j*d:(j+1)*d])
		}
		switch {
		case rank == 0:
		case img.scalar:
			img.wtw[k] = gramRows(img.w[k], rank, m)
			img.gramEigDown[k], img.eigenUp[k] = gramOrder(img.wtw[k], c.Eigen)
		default:
			var wt mat.Dense
			wt.Mul(mat.NewDense(rank, m, img.w[k]), q)
			img.wt[k] = wt.RawMatrix().Data
		}
	}
	return img, nil
}

// gramOrder returns the eigenvalues of the q×q symmetric g in decreasing
// order and the indices of eigen in increasing order of value.
func gramOrder(g, eigen []float64) ([]float64, []int) {
	q := len(eigen)
	var es mat.EigenSym
	down := make([]float64, q)
	if es.Factorize(mat.NewSymDense(q, append([]float64(nil), g...)), false) {
		es.Values(down)
		for i := range down {
			down[i] = math.Max(down[i], 0)
		}
		slices.Sort(down)
		slices.Reverse(down)
	} // else all zero: a valid lower bound on the eigenvalues of a PSD matrix
	up := make([]int, q)
	for j := range up {
		up[j] = j
	}
	slices.SortStableFunc(up, func(i, j int) int { return cmp.Compare(eigen[i], eigen[j]) })
	return down, up
}
