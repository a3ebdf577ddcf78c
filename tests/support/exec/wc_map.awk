# A Hadoop Streaming word count mapper in awk: the words of wc.so (runs of
# ASCII letters; the tests' inputs are ASCII), one "word TAB 1" line each.
{
    n = split($0, words, /[^A-Za-z]+/)
    for (i = 1; i <= n; i++)
        if (words[i] != "")
            print words[i] "\t1"
}
