#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_epw, and its generated reproducers.

Usage: gen_epw_corpus.py SEED_DIR REGRESSION_DIR (scripts/fuzz.sh passes
folders under the fuzz build, so no weather file is kept in the repository).

The files are synthetic (no real weather data is copied): the header of
tests/test_weather.c and rows with a smooth seasonal and diurnal curve.  Rows
carry the 10 fields the reader needs (EPW rows have 35), so a whole year
stays about 300 KB.  Valid files exercise every branch that a good file
takes (typical year, leap year with Feb 29, CRLF line ends, missing
pressure, humidity above 100 %); small invalid ones exercise each error.
The reproducer known-nan-wet-bulb-high-elevation.epw is a valid year with a
header elevation of 8,999 m and one missing pressure at 69.9 C: the
standard atmosphere there is below the saturation pressure, so the row
describes no moist air and must be refused (issue 7).
"""
import math
import os
import sys

OUT = "."
HEADER = [
    "LOCATION,Testville,Test,CHN,TEST,000000,40.00,117.00,8.0,500.0",
    "DESIGN CONDITIONS,0",
    "TYPICAL/EXTREME PERIODS,0",
    "GROUND TEMPERATURES,0",
    "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
    "COMMENTS 1,synthetic file written by fuzz/gen_epw_corpus.py",
    "COMMENTS 2,",
    "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31",
]
DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def dates(leap):
    for m, n in enumerate(DAYS, 1):
        for d in range(1, n + 1 + (1 if leap and m == 2 else 0)):
            for h in range(1, 25):
                yield m, d, h


def row(r, m, d, h, pressure=None):
    t = 10.0 + 15.0 * math.sin(2 * math.pi * r / 8760) + 5.0 * math.cos(2 * math.pi * (h - 15) / 24)
    rh = 30 + r % 81  # up to 110 %
    p = pressure if pressure is not None else 95000 + r % 700
    return "2005,%d,%d,%d,0,?9?9?9?9E0,%.1f,%.1f,%d,%d" % (m, d, h, t, t - 5, rh, p)


def write(name, lines, eol="\n", prefix=b"", folder=None):
    with open(os.path.join(folder or OUT, name), "wb") as f:
        f.write(prefix + "".join(l + eol for l in lines).encode())


def year(leap=False, missing_p_every=0):
    return [row(r, m, d, h, 999999 if missing_p_every and r % missing_p_every == 0 else None)
            for r, (m, d, h) in enumerate(dates(leap))]


def main():
    global OUT
    if len(sys.argv) != 3:
        sys.exit("usage: gen_epw_corpus.py SEED_DIR REGRESSION_DIR")
    OUT, regress = sys.argv[1], sys.argv[2]
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(regress, exist_ok=True)
    typical = year()
    hot = list(typical)
    hot[100] = "2005,1,5,5,0,?9?9?9?9E0,69.9,1.7,49,999999"
    high = [HEADER[0].rsplit(",", 1)[0] + ",8999"] + HEADER[1:]
    write("known-nan-wet-bulb-high-elevation.epw", high + hot, folder=regress)
    write("valid-typical.epw", HEADER + typical)
    write("valid-leap-crlf-missing-pressure.epw", HEADER + year(leap=True, missing_p_every=97), "\r\n")
    # Invalid, each small: stopping early keeps the fuzzer fast on them.
    write("empty.epw", [])
    write("not-epw.epw", ["name: a scenario"])
    write("short-header.epw", HEADER[:3])
    write("no-data-periods.epw", HEADER[:7] + ["COMMENTS 3,"] + typical[:2])
    write("truncated.epw", HEADER + typical[:30])
    write("bad-date.epw", HEADER + typical[:3] + [typical[5]])
    write("missing-values.epw", HEADER + [typical[0].replace(",%s," % typical[0].split(",")[6], ",99.9,", 1)])
    write("few-fields.epw", HEADER + ["2005,1,1,1,0,?,10.0"])
    write("bom.epw", HEADER + typical[:2], prefix=b"\xef\xbb\xbf")
    write("leap-start.epw", HEADER + year(leap=True)[59 * 24 - 2:59 * 24 + 2])


if __name__ == "__main__":
    main()
