package reconcile

import (
	"errors"
	"strconv"

	"github.com/idbits/idbits/bitmap"
)

// JoinOp is a set operation of Join.
type JoinOp uint8

// Join operations. The zero JoinOp is not an operation.
const (
	// JoinAnd keeps the profiles in every audience.
	JoinAnd JoinOp = 1 + iota
	// JoinOr keeps the profiles in any audience.
	JoinOr
	// JoinAndNot keeps the profiles of the first audience that are in none
	// of the others.
	JoinAndNot
)

// ErrJoinOp: Join or JoinLen was given a JoinOp that is not one of the
// constants.
var ErrJoinOp = errors.New("reconcile: unknown join operation")

// String returns "and", "or", "and-not", or "JoinOp(N)" for another value.
func (op JoinOp) String() string {
	switch op {
	case JoinAnd:
		return "and"
	case JoinOr:
		return "or"
	case JoinAndNot:
		return "and-not"
	}
	return "JoinOp(" + strconv.Itoa(int(op)) + ")"
}

// MarshalText returns String's text, so that reports print the operation by
// name.
func (op JoinOp) MarshalText() ([]byte, error) { return []byte(op.String()), nil }

// JoinInput counts one input of a join.
type JoinInput struct {
	// Members counts the members as given, and Profiles the profiles of the
	// view they project onto: fewer when profiles merged since the audience
	// was built, or members were erased or are unknown to the view.
	Members  uint64 `json:"members"`
	Profiles uint64 `json:"profiles"`
}

// JoinReport counts a join. Its JSON form uses the snake_case names of the
// tags.
type JoinReport struct {
	Op     JoinOp      `json:"op"`
	Inputs []JoinInput `json:"inputs"`
	Result uint64      `json:"result"` // profiles in the result
}

// Join combines audiences that came from different systems, or were built
// under different views, in the profile space of view v: it projects each
// onto v (View.Project: members go to the current profile of their
// identity, so an audience of identity ordinals works too) and then applies
// op. An audience already made of live profiles of v is used as it is,
// which one bitmap difference and a pass over its members tell, so joining
// audiences of the current view costs no projection. With no audiences the
// result is empty. It fails only for an unknown op (ErrJoinOp). Join is
// safe to call concurrently.
func Join(v *View, op JoinOp, as ...bitmap.Audience) (bitmap.Audience, JoinReport, error) {
	ps, rep, err := joinInputs(v, op, as)
	if err != nil || len(ps) == 0 {
		return bitmap.Audience{}, rep, err
	}
	var out bitmap.Audience
	switch op {
	case JoinAnd:
		out = bitmap.AndAll(ps...)
	case JoinOr:
		out = bitmap.OrAll(ps...)
	case JoinAndNot:
		out = ps[0]
		if len(ps) > 1 {
			out = bitmap.AndNot(ps[0], bitmap.OrAll(ps[1:]...))
		}
	}
	rep.Result = out.Len()
	return out, rep, nil
}

// JoinLen is Join without the result: it counts it. Two audiences are
// counted without building their combination (bitmap.AndLen, OrLen,
// AndNotLen). Projections are built as Join builds them.
func JoinLen(v *View, op JoinOp, as ...bitmap.Audience) (JoinReport, error) {
	ps, rep, err := joinInputs(v, op, as)
	if err != nil || len(ps) == 0 {
		return rep, err
	}
	switch {
	case len(ps) == 1:
		rep.Result = ps[0].Len()
	case len(ps) == 2 && op == JoinAnd:
		rep.Result = bitmap.AndLen(ps[0], ps[1])
	case len(ps) == 2 && op == JoinOr:
		rep.Result = bitmap.OrLen(ps[0], ps[1])
	case op == JoinAndNot:
		rest := ps[1]
		if len(ps) > 2 {
			rest = bitmap.OrAll(ps[1:]...)
		}
		rep.Result = bitmap.AndNotLen(ps[0], rest)
	case op == JoinAnd:
		rep.Result = bitmap.AndAll(ps...).Len()
	default:
		rep.Result = bitmap.OrAll(ps...).Len()
	}
	return rep, nil
}

// joinInputs checks op and projects the inputs onto v.
func joinInputs(v *View, op JoinOp, as []bitmap.Audience) ([]bitmap.Audience, JoinReport, error) {
	rep := JoinReport{Op: op, Inputs: make([]JoinInput, len(as))}
	if op < JoinAnd || op > JoinAndNot {
		return nil, rep, ErrJoinOp
	}
	ps := make([]bitmap.Audience, len(as))
	for i, a := range as {
		ps[i] = project(v, a)
		rep.Inputs[i] = JoinInput{Members: a.Len(), Profiles: ps[i].Len()}
	}
	return ps, rep, nil
}

// project is v.Project(a), but returns a itself when every member of a is
// already a live profile of v, which a bitmap difference tells without
// building anything (and, if identities were erased since v was taken, one
// pass over the members).
func project(v *View, a bitmap.Audience) bitmap.Audience {
	if bitmap.AndNotLen(a, v.profiles) != 0 {
		return v.Project(a)
	}
	if v.dict.erasures.Load() == v.erasures {
		return a
	}
	for m := range a.All() {
		if v.rv.Key(m) != m || v.dict.Erased(m) {
			return v.Project(a)
		}
	}
	return a
}
