#!/bin/sh
# Ask xueji serve with curl: one student (ask), then three in one request (batch, JSON Lines).
#   sh examples/clients/ask.sh [BASE_URL]        (default http://127.0.0.1:8000)
# With a token: XUEJI_TOKEN=... sh examples/clients/ask.sh
set -eu
BASE=${1:-http://127.0.0.1:8000}
Q="$BASE/v1/regions/jiangsu/questions/suspension"
AUTH=""
[ -n "${XUEJI_TOKEN:-}" ] && AUTH="Authorization: Bearer $XUEJI_TOKEN"

# the README's student: junior grade 8, 230 class hours missed through illness, hospital papers
FACTS='{"student": {"stage": "junior", "grade": 8},
        "absence": {"reason": "illness", "class_hours_missed": 230, "still_unable_to_attend": true,
                    "start_date": "2025-01-06"},
        "evidence": {"documents": ["hospital_diagnosis", "inpatient_record", "medical_receipts"],
                     "hospital_level": "county"}}'

echo "== ask: the Decision JSON (outcome, status, each rule with its article)"
curl -sS --fail-with-body -H "Content-Type: application/json" ${AUTH:+-H "$AUTH"} \
     -d "{\"facts\": $FACTS, \"on\": \"2025-03-03\"}" "$Q/ask"
echo

echo "== batch: one JSON line out per line in (outcome, status, failed rules); a bad line gives an error line"
printf '%s\n' \
  "{\"id\": \"s1\", \"facts\": $(echo "$FACTS" | tr -d '\n')}" \
  '{"id": "s2", "facts": {"student": {"stage": "junior", "grade": 8}, "absence": {"reason": "illness", "class_hours_missed": 40}}}' \
  '{"id": "s3", "facts": {}}' |
curl -sS --fail-with-body -H "Content-Type: application/jsonl" ${AUTH:+-H "$AUTH"} \
     --data-binary @- "$Q/batch?on=2025-03-03"
