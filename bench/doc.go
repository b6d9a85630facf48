// Package bench generates deterministic synthetic workloads for idbits and
// holds the project's benchmarks.
//
// [Generate] makes a [World] from a [Config]: a seed and a number of people.
// The same Config always gives the same world, byte for byte, however many
// CPUs generate it: people are generated in fixed chunks, each with its own
// PCG stream seeded from the seed and the chunk number. The examples embed
// small worlds as default data and the benchmarks generate large ones, so
// both run on the same data.
//
// # What a world models
//
// People arrive one after another over a 90-day window (3 March to 31 May
// 2026, UTC); person p arrives no later than person p+1. Each has:
//
//   - ECIDs: 1 to MaxECIDs (50), with P(k) proportional to k^-s and s set so
//     that the mean is Config.ECIDsPerPerson (2.5 by default, which gives
//     s ≈ 2.09: 64% of people have one ECID, 1.4% more than 20). The first
//     appears on arrival, later ones at uniform times after it: cookie
//     churn. ECID values are random (two 63-bit halves from the chunk's
//     PCG stream).
//   - a CRM ID ("C" and 11 digits) with probability Config.CRMShare (70%);
//   - an email address (first.last.N@example.com and the like) and its
//     SHA-256 (idtypes.HashEmail) with probability Config.EmailShare (60%);
//   - a phone number (+447 and 9 digits, E.164) with probability
//     Config.PhoneShare (30%).
//
// The three are independent, so about 8.4% of people have no declared
// identity. Declared values are numbered by a seeded bijection, so no two
// people share one.
//
// Records link identities: each ECID has one record, at the time it first
// appears, that holds the ECID and every declared identity of its person
// (a login). A person with no declared identity has records of a lone ECID
// (a visit), so their ECIDs stay apart. About Config.SharedShare (2%) of
// people, counted as a share of all people, are guests on a shared device:
// they log in on an ECID of the nearest earlier person of their chunk with a
// declared identity, after that person did. [World.SharedDevices] lists
// them; graphs that keep the last authenticated user give the ECID to the
// guest.
//
// # Ground truth
//
// [World.Identities], [World.IDs] and [World.Owner] say which person each
// identity belongs to, so tests can compute expected profiles and counts
// independently of the code under test. A [Segment] from [World.Segment]
// is a set of people (scattered uniformly, or clustered: the people who
// arrived last) written in one namespace, with a chosen share of unknown
// lines (well-formed identifiers that no record holds) and malformed ones
// (every [Flaw] that applies to the namespace); its lines carry their kind,
// flaw and person.
//
// # What it does not model
//
// No households or graph-collapsing junk values (test@test.com) in the
// records, no IDFAs, GAIDs, AAM UUIDs or hashed phones, no logouts or
// authentication states other than "authenticated", no correlation between
// having a CRM ID and having an email address, and no activity beyond one
// record per ECID. Records come person by person, not in time order.
//
// # Files
//
// The writers stream to an io.Writer through a reused buffer, one format
// per method: [Segment.WriteList] (NS:value lines), [Segment.WriteCSV],
// [World.WriteXDM] (identityMap JSON lines), [World.WriteAAMInbound] and
// [World.WriteAAMOutbound]. They return the first error of the
// io.Writer.
//
// # Benchmarks
//
// The end-to-end benchmarks of the whole project live in this package's
// tests (e2e_*_test.go), each beside the naive implementation a Go programmer
// would write, as sub-benchmarks impl=idbits and impl=naive. They run at 1M
// and 10M identities; IDBITS_BENCH_SIZES chooses others (for example
// "1e6,1e7,1e8"), and -short runs 100k only. The generator's own benchmark
// adds a 10M-identity world with IDBITS_BENCH_LARGE=1. Figures and commands
// are in RESULTS.md.
//
// # Concurrency
//
// Generate fans out over GOMAXPROCS goroutines and returns when done. A
// World and a Segment are immutable: any number of goroutines may read
// them, iterate them and write them out at once.
package bench
