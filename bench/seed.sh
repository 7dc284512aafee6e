#!/usr/bin/env bash
# Benchmark of the demo city generator: `choshu migrate` then `choshu seed --persons N` on a
# fresh SQLite file, timed as a whole process.
#
#   bash bench/seed.sh                 # 350,000 persons into var/bench/seed-350000.sqlite3
#   bash bench/seed.sh 50000 7         # N persons, seed 7
#   KEEP=var/city50k.sqlite3 bash bench/seed.sh 50000   # keep the city under that path
#
# Prints the generator's row counts and elapsed time, the wall time of the whole process and the
# size of the database file. Requirement: 350,000 persons in under 10 minutes on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
persons="${1:-350000}"
seed="${2:-1}"
today="${TODAY:-$(date +%F)}"
db="${KEEP:-var/bench/seed-${persons}.sqlite3}"
mkdir -p "$(dirname "$db")"
rm -f "$db" "$db-wal" "$db-shm"
export CHOSHU_DATABASE_URL="sqlite:///$(pwd)/$db"
echo "machine: $(nproc) cpu, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/{print $2}') GiB RAM"
.venv/bin/choshu migrate -v 0
start=$(date +%s%N)
.venv/bin/choshu seed --persons "$persons" --seed "$seed" --today "$today"
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
printf 'wall time (choshu seed process): %d.%03d s; database %s (%s)\n' \
  $(( ms / 1000 )) $(( ms % 1000 )) "$db" "$(du -h "$db" | cut -f1)"
