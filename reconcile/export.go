package reconcile

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"
	"github.com/idbits/idbits/reconcile/internal/table"
)

// ExportOptions configure Export and WriteExport. The zero value exports
// every identifier of every namespace.
type ExportOptions struct {
	// Namespaces lists the namespaces the destination accepts; empty means
	// every namespace. Invalid ones are ignored.
	Namespaces []idtypes.Namespace
	// OnePerProfile exports one identifier per profile: its first accepted
	// identifier in priority order (by namespace as Priority ranks them,
	// then idtypes.ID.Compare), the way the profile key is chosen among all
	// members. Otherwise every accepted identifier is exported.
	OnePerProfile bool
	// Priority ranks namespaces, highest first, as Rules.Priority does (and
	// unlisted ones follow in the same way): pass the graph's
	// Graph.Rules().Priority to export what the graph treats as the
	// profile's primary identity, or the destination's own preference.
	Priority []idtypes.Namespace
}

// ExportReport counts what an export writes. Its JSON form uses the
// snake_case names of the tags; ByNamespace is keyed by namespace code.
type ExportReport struct {
	// Profiles counts the profiles exported, those of the audience
	// projected onto the view (View.Project).
	Profiles int `json:"profiles"`
	// Exported counts the profiles with at least one identifier exported.
	Exported int `json:"exported_profiles"`
	// Identifiers counts the identifiers exported, and ByNamespace splits
	// them by namespace.
	Identifiers int                       `json:"identifiers"`
	ByNamespace map[idtypes.Namespace]int `json:"by_namespace"`
	// Unmapped counts the profiles with no identifier of an accepted
	// namespace (Campaign's recipients that could not be mapped), and
	// UnmappedProfiles holds them.
	Unmapped         int      `json:"unmapped"`
	UnmappedProfiles Profiles `json:"-"`
}

// Exported is the result of Export, the counterpart of Imported.
type Exported struct {
	// IDs yields the identifiers exported.
	IDs    iter.Seq[idtypes.ID]
	Report ExportReport
}

// Export maps profiles a, projected onto view v (View.Project: O(1) for
// profiles made under v), onto the identifiers a destination accepts. It
// returns them as an iterator, in a deterministic order: profiles in
// increasing order, and within a profile by priority (opts.Priority), then
// idtypes.ID.Compare. The report is computed before Export returns, from
// ordinals alone; the iterator decodes the identifiers as it goes, holds one
// profile's identifiers at a time, and can be ranged over more than once,
// each time giving the same identifiers.
//
// Export fails only for profiles of another graph (ErrForeignView). It is
// safe to call concurrently, and so is the iterator.
func Export(v *View, a Profiles, opts ExportOptions) (Exported, error) {
	p, err := v.Project(a)
	if err != nil {
		return Exported{IDs: func(func(idtypes.ID) bool) {}}, fmt.Errorf("export: %w", err)
	}
	ex := &exporter{v: v, rank: newNSRank(v, opts.Namespaces, opts.Priority), one: opts.OnePerProfile}
	rep := ex.count(p.set)
	return Exported{IDs: func(yield func(idtypes.ID) bool) { ex.each(p.set, yield) }, Report: rep}, nil
}

// WriteExport writes the identifiers Export gives as a plain list, one
// "NS:value" per line (idfile.WriteList), sorted as bytes (the order of
// LC_ALL=C sort), and returns Export's report. It holds every identifier
// in memory to sort them. It fails as Export does, without writing, and
// stops at the first write error.
func WriteExport(w io.Writer, v *View, a Profiles, opts ExportOptions) (ExportReport, error) {
	res, err := Export(v, a, opts)
	if err != nil {
		return res.Report, err
	}
	all := make([]idtypes.ID, 0, res.Report.Identifiers)
	for id := range res.IDs {
		all = append(all, id)
	}
	sortByText(all)
	return res.Report, idfile.WriteList(w, slices.Values(all), idfile.ListOptions{})
}

// sortByText sorts ids as their "NS:value" texts sort as bytes, without
// building the texts: it groups them by namespace, orders the groups by code
// with its colon, and sorts each group with idtypes.ID.Compare, which within
// a namespace orders values as their canonical text does.
func sortByText(ids []idtypes.ID) {
	var count []int // by namespace
	for _, id := range ids {
		ns := id.Namespace()
		if int(ns) >= len(count) {
			count = append(count, make([]int, int(ns)+1-len(count))...)
		}
		count[ns]++
	}
	var nss []idtypes.Namespace
	for ns, n := range count {
		if n > 0 {
			nss = append(nss, idtypes.Namespace(ns))
		}
	}
	if len(nss) > 1 {
		slices.SortFunc(nss, func(a, b idtypes.Namespace) int {
			return strings.Compare(a.String()+":", b.String()+":")
		})
		// Place each group, in order, with a counting sort.
		at := make([]int, len(count))
		n := 0
		for _, ns := range nss {
			at[ns] = n
			n += count[ns]
		}
		sorted := make([]idtypes.ID, len(ids))
		for _, id := range ids {
			ns := id.Namespace()
			sorted[at[ns]] = id
			at[ns]++
		}
		copy(ids, sorted)
	}
	n := 0
	for _, ns := range nss {
		sortValues(ids[n : n+count[ns]])
		n += count[ns]
	}
}

// sortValues sorts identifiers of one namespace with idtypes.ID.Compare.
// Moving IDs (which hold a string) costs write barriers, so it sorts small
// pointer-free keys instead: the first 16 bytes of each canonical value,
// zero-padded, which order values as their bytes do whenever they differ,
// and the index, with ID.Compare breaking ties.
func sortValues(ids []idtypes.ID) {
	if len(ids) < 2 {
		return
	}
	keys := make([]valueKey, len(ids))
	var scratch [64]byte
	for i, id := range ids {
		var pre [16]byte
		copy(pre[:], id.AppendValue(scratch[:0]))
		keys[i] = valueKey{binary.BigEndian.Uint64(pre[:8]), binary.BigEndian.Uint64(pre[8:]), i}
	}
	byRest := func(a, b valueKey) int {
		if a.p1 != b.p1 {
			return cmp.Compare(a.p1, b.p1)
		}
		return ids[a.i].Compare(ids[b.i])
	}
	if len(keys) < radixMin {
		slices.SortFunc(keys, func(a, b valueKey) int {
			if a.p0 != b.p0 {
				return cmp.Compare(a.p0, b.p0)
			}
			return byRest(a, b)
		})
	} else {
		radixSort(keys)
		for lo := 0; lo < len(keys); {
			hi := lo + 1
			for hi < len(keys) && keys[hi].p0 == keys[lo].p0 {
				hi++
			}
			if hi-lo > 1 {
				slices.SortFunc(keys[lo:hi], byRest)
			}
			lo = hi
		}
	}
	sorted := make([]idtypes.ID, len(ids))
	for j, k := range keys {
		sorted[j] = ids[k.i]
	}
	copy(ids, sorted)
}

// valueKey is the sort key of an identifier: the first 16 bytes of its
// value and its index.
type valueKey struct {
	p0, p1 uint64
	i      int
}

// radixMin is the size from which sortValues sorts by radix.
const radixMin = 512

// radixSort sorts keys by p0, stably, one byte at a time from the lowest,
// skipping bytes that all keys share.
func radixSort(keys []valueKey) {
	tmp := make([]valueKey, len(keys))
	src, dst := keys, tmp
	for shift := 0; shift < 64; shift += 8 {
		var at [256]int
		for _, k := range src {
			at[byte(k.p0>>shift)]++
		}
		if at[byte(src[0].p0>>shift)] == len(src) {
			continue
		}
		n := 0
		for d, c := range at {
			at[d] = n
			n += c
		}
		for _, k := range src {
			d := byte(k.p0 >> shift)
			dst[at[d]] = k
			at[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
}

// exporter walks the profiles of an audience for Export.
type exporter struct {
	v    *View
	rank *nsRank
	one  bool
}

// member is an accepted member of a profile.
type member struct {
	rank int32
	ord  uint32
	id   idtypes.ID
}

// count computes the report without decoding identifiers.
func (ex *exporter) count(a bitmap.Audience) ExportReport {
	v := ex.v
	rep := ExportReport{ByNamespace: map[idtypes.Namespace]int{}}
	byRank := make([]int, len(ex.rank.rank))
	var unmapped bitmap.Builder
	buf := make([]uint32, 4096)
	for batch := range a.Batches(buf) {
		for _, p := range batch {
			best, n := int32(-1), 0
			v.rv.Members(p, func(m uint32) bool {
				ns, _, erased := v.dict.meta(m)
				r := ex.rank.of(ns)
				if r < 0 || erased {
					return true
				}
				n++
				if ex.one {
					if best < 0 || r < best {
						best = r
					}
				} else {
					byRank[r]++
				}
				return true
			})
			rep.Profiles++
			if n == 0 {
				unmapped.Add(p)
				continue
			}
			rep.Exported++
			if ex.one {
				byRank[best]++
			}
		}
	}
	for ns, r := range ex.rank.rank {
		if r >= 0 && byRank[r] > 0 {
			rep.ByNamespace[idtypes.Namespace(ns)] = byRank[r]
			rep.Identifiers += byRank[r]
		}
	}
	rep.UnmappedProfiles = Profiles{set: unmapped.Audience(), v: v}
	rep.Unmapped = int(rep.UnmappedProfiles.Len())
	return rep
}

// each yields the identifiers of the profiles of a. It works on groups of
// exportGroup profiles: it first gathers the candidate ordinals of the whole
// group, then decodes them all in one loop, whose iterations do not depend
// on one another so that their dictionary reads (mostly cache misses) overlap,
// and only then orders and yields each profile's identifiers.
func (ex *exporter) each(a bitmap.Audience, yield func(idtypes.ID) bool) {
	var ms []member
	var sc exportScratch
	ends := make([]int, 0, exportGroup)
	buf := make([]uint32, 4096)
	for batch := range a.Batches(buf) {
		for len(batch) > 0 {
			group := batch[:min(len(batch), exportGroup)]
			batch = batch[len(group):]
			ms, ends = ms[:0], ends[:0]
			for _, p := range group {
				ms = ex.collect(p, ms)
				ends = append(ends, len(ms))
			}
			ex.decode(ms)
			start := 0
			for _, end := range ends {
				for _, m := range ex.finish(ms[start:end], &sc) {
					if !yield(m.id) {
						return
					}
				}
				start = end
			}
		}
	}
}

// exportGroup is how many profiles each gathers before decoding.
const exportGroup = 256

// members appends to ms the identifiers profile p exports, in order: all its
// accepted members, or the first of them. It decodes only the candidates.
func (ex *exporter) members(p uint32, ms []member) []member {
	n := len(ms)
	ms = ex.collect(p, ms)
	ex.decode(ms[n:])
	var sc exportScratch
	return append(ms[:n], ex.finish(ms[n:], &sc)...)
}

// collect appends to ms the candidates of profile p, undecoded: its
// accepted members, or with ex.one those of its best rank.
func (ex *exporter) collect(p uint32, ms []member) []member {
	v := ex.v
	n := len(ms)
	best := int32(-1)
	v.rv.Members(p, func(m uint32) bool {
		ns, _, erased := v.dict.meta(m)
		r := ex.rank.of(ns)
		if r < 0 || erased {
			return true
		}
		if ex.one {
			switch {
			case best >= 0 && r > best:
				return true
			case r < best:
				ms = ms[:n]
			}
			best = r
		}
		ms = append(ms, member{rank: r, ord: m})
		return true
	})
	return ms
}

// decode sets the identifier of each member of ms, or the zero ID if it
// was erased since it was collected.
func (ex *exporter) decode(ms []member) {
	t := ex.v.dict.tab()
	for i := range ms {
		key, _, st := t.Key(ms[i].ord)
		if st != table.OK {
			ms[i].id = idtypes.ID{}
			continue
		}
		ms[i].id = decodeExportKey(key)
	}
}

// decodeExportKey decodes a dictionary key as Dictionary.ID does. A key
// that does not decode gives the zero ID.
func decodeExportKey(key []byte) idtypes.ID {
	var id idtypes.ID
	if err := id.UnmarshalBinary(key); err != nil {
		return idtypes.ID{} // unreachable: the key came from AppendBinary
	}
	return id
}

// finish orders the decoded candidates of one profile, in place, dropping
// those erased meanwhile, and returns what the profile exports: all of
// them, or with ex.one the first.
func (ex *exporter) finish(ms []member, sc *exportScratch) []member {
	k := 0
	for _, m := range ms {
		if m.id.IsValid() {
			ms[k] = m
			k++
		}
	}
	ms = ms[:k]
	switch {
	case len(ms) < 2:
	case len(ms) <= 12:
		// Profiles have a few members: an insertion sort beats the
		// general sort's setup.
		for i := 1; i < len(ms); i++ {
			for j := i; j > 0 && compareMembers(ms[j], ms[j-1]) < 0; j-- {
				ms[j], ms[j-1] = ms[j-1], ms[j]
			}
		}
	default:
		sc.sort(ms)
	}
	if ex.one && len(ms) > 1 {
		ms = ms[:1]
	}
	return ms
}

// exportScratch is room to sort the members of large profiles.
type exportScratch struct {
	keys []memberKey
	tmp  []member
}

// memberKey is the sort key of a member: small and pointer-free, so that
// sorting moves less than the members themselves.
type memberKey struct {
	hi, lo uint64
	rank   int32
	i      int32 // index in the members
}

// sort sorts ms as compareMembers does, through keys: rank, then the
// halves when the namespaces match, then compareMembers on a tie.
func (sc *exportScratch) sort(ms []member) {
	sc.keys = sc.keys[:0]
	for i, m := range ms {
		hi, lo := m.id.Halves()
		sc.keys = append(sc.keys, memberKey{hi: hi, lo: lo, rank: m.rank, i: int32(i)})
	}
	slices.SortFunc(sc.keys, func(a, b memberKey) int {
		if a.rank != b.rank {
			return cmp.Compare(a.rank, b.rank)
		}
		ma, mb := &ms[a.i], &ms[b.i]
		if ma.id.Namespace() == mb.id.Namespace() {
			if a.hi != b.hi {
				return cmp.Compare(a.hi, b.hi)
			}
			if a.lo != b.lo {
				return cmp.Compare(a.lo, b.lo)
			}
		}
		return ma.id.Compare(mb.id)
	})
	sc.tmp = append(sc.tmp[:0], ms...)
	for j, k := range sc.keys {
		ms[j] = sc.tmp[k.i]
	}
	clear(sc.tmp) // drop the strings the copies hold
}

// compareMembers orders members by rank, then identifier. Within one
// namespace of ECIDs, AAM UUIDs or device UUIDs, idtypes.ID.Compare orders
// by the halves, so it compares those first and calls Compare only on a tie
// (other namespaces have zero halves) or across namespaces.
func compareMembers(a, b member) int {
	if a.rank != b.rank {
		return cmp.Compare(a.rank, b.rank)
	}
	if a.id.Namespace() == b.id.Namespace() {
		ahi, alo := a.id.Halves()
		bhi, blo := b.id.Halves()
		if ahi != bhi {
			return cmp.Compare(ahi, bhi)
		}
		if alo != blo {
			return cmp.Compare(alo, blo)
		}
	}
	return a.id.Compare(b.id)
}
