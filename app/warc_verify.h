// `crawl warc-verify FILE…`: reads WARC files written by `crawl --warc` back
// and checks them: every gzip member holds exactly one WARC/1.1 record, its
// Content-Length matches its block, WARC-Block-Digest and
// WARC-Payload-Digest recompute, and every line of the CDXJ index beside the
// file (PREFIX-NNNNN.cdxj) points at a response record of that URL, length
// and digest, one line per response, sorted.
//
// Exit codes: 0 every file checked out; 1 a mismatch or a file that cannot
// be read (each said on stderr with the file, the record's offset and what
// differs); 2 bad command line.
#pragma once

namespace crawl {

// argv[0] is "warc-verify".
int warc_verify_main(int argc, const char* const* argv);

}  // namespace crawl
