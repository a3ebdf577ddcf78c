# A Hadoop Streaming word count reducer in awk: sums the counts of each run
# of equal keys in its sorted "word TAB count" lines.
BEGIN { FS = "\t" }
NR > 1 && $1 != key { print key "\t" total; total = 0 }
{ key = $1; total += $2 }
END { if (NR > 0) print key "\t" total }
