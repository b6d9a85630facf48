// Package bitmap is the set algebra of audiences: sets of uint32 ordinals
// (profile or identity ordinals handed out by reconcile), stored as roaring
// bitmaps behind the package's own types.
//
// An [Audience] is an immutable set. Build one with [Of] or a [Builder],
// combine audiences with [And], [Or], [AndNot] and [Xor] (each returns a new
// audience), count without building with [AndLen], [OrLen], [AndNotLen],
// [XorLen] and [Intersects] (which allocate nothing), fold many at once with
// [AndAll] and [OrAll], compare many with [Overlap], [Pairs] and [TopPairs],
// and track membership changes between two snapshots with [Diff]. The
// package knows nothing about identifiers.
//
// # Overlap matrices
//
// [Overlap] returns a [Matrix] of pairwise intersection sizes, from which
// [Matrix.Jaccard] and [Matrix.Share] read similarity and one-directional
// shares. [Matrix.Floor] applies a privacy floor before a matrix is shared:
// counts below the floor (other than zero) become [Blank], the maximum
// uint64, which no real count can equal.
//
// A matrix holds k² counts, too many for thousands of audiences. [Pairs]
// streams the pairs that share a member, in row order, and [TopPairs]
// ranks the n best pairs by shared members ([ByLen]) or by Jaccard index
// ([ByJaccard]), ties in index order. Both keep memory in proportion to
// the number of audiences (plus a scratch within a fixed budget) and count
// either pair by pair or from an index of the audiences holding each
// member, whichever the input's shape makes cheaper, so that 100,000 small
// audiences (5e9 pairs) take about a second, not hours. To compare a few
// chosen audiences among many, pass those to [Overlap].
//
// # Zero values
//
// The zero [Audience] is the empty audience, and the zero [Builder] is an
// empty builder ready for use.
//
// # Serialization
//
// Audiences travel in the portable roaring format (the RoaringFormatSpec that
// the Java, C and Go roaring libraries, Spark, Druid and pg_roaringbitmap
// read and write): [Audience.WriteTo], [Read], [Audience.MarshalBinary],
// [Audience.UnmarshalBinary], and [View], which decodes without copying:
// its audience is valid while the byte slice lives unchanged, but audiences
// computed from it own their memory.
//
// Decoding treats its input as untrusted. A truncated, corrupted or hostile
// encoding gives an error, never a panic or an invalid audience, and
// decoding runs in time linear in the input and allocates within a small
// multiple of the input's length. It is stricter than roaring's own reader:
// the declared cardinality of every container, run containers included, and
// the offset header, where present, must match the data. Every decoding
// error is a [*DecodeError]
// naming the byte offset and the reason; callers can match its cause with
// errors.Is: [ErrCorrupt] for a format violation, [io.ErrUnexpectedEOF] for
// an input that ends too early, or the reader's own error. [Read] returns
// [io.EOF] itself when its reader is at its end before the first byte, so a
// stream of audiences can be read in a loop.
//
// # Concurrency
//
// An Audience never changes once built, so any number of goroutines may read
// the same audience, and use it in any operation, at the same time. None of
// the package's read operations mutates an audience's internal state. A
// Builder is not safe for concurrent use. [AndAll], [OrAll] and [Overlap] fan
// out over at most GOMAXPROCS goroutines when their inputs are large;
// [Pairs] and [TopPairs] count on the calling goroutine.
package bitmap
