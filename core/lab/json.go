package lab

import "tweedie/core/finite"

// MarshalJSON writes NaN bounds as null.
func (iv Interval) MarshalJSON() ([]byte, error) { return finite.Struct(iv) }

// MarshalJSON writes NaN figures as null.
func (b Band) MarshalJSON() ([]byte, error) {
	return finite.Struct(struct {
		Median float64 `json:"median"`
		Lo     float64 `json:"lo"`
		Hi     float64 `json:"hi"`
	}{b.Median, b.Lo, b.Hi})
}

// MarshalJSON writes NaN figures as null.
func (c ComponentCalibration) MarshalJSON() ([]byte, error) { return finite.Struct(c) }

// MarshalJSON writes NaN figures as null.
func (p TimePoint) MarshalJSON() ([]byte, error) { return finite.Struct(p) }
