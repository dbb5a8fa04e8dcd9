// Ask xueji serve from Node.js 20 with its built-in fetch: one student (ask), then a batch.
//
//   node examples/clients/ask.mjs [BASE_URL]     (default http://127.0.0.1:8000)
//   XUEJI_TOKEN=... node examples/clients/ask.mjs

const base = process.argv[2] ?? "http://127.0.0.1:8000";
const question = `${base}/v1/regions/jiangsu/questions/suspension`;
const headers = process.env.XUEJI_TOKEN ? { Authorization: `Bearer ${process.env.XUEJI_TOKEN}` } : {};

// the README's student: junior grade 8, 230 class hours missed through illness, hospital papers
const facts = {
  student: { stage: "junior", grade: 8 },
  absence: { reason: "illness", class_hours_missed: 230, still_unable_to_attend: true, start_date: "2025-01-06" },
  evidence: { documents: ["hospital_diagnosis", "inpatient_record", "medical_receipts"], hospital_level: "county" },
};

async function check(response) {
  if (!response.ok) {
    // an RFC 9457 problem: its `code` is stable, its `detail` says what to fix
    const problem = await response.json();
    throw new Error(`HTTP ${response.status} ${problem.code}: ${problem.detail}`);
  }
  return response;
}

// one student: the Decision JSON
const ask = await check(await fetch(`${question}/ask`, {
  method: "POST",
  headers: { ...headers, "Content-Type": "application/json" },
  body: JSON.stringify({ facts, on: "2025-03-03" }),
}));
const decision = await ask.json();
console.log(`ask    outcome: ${decision.outcome}  status: ${decision.status}`);
for (const rule of decision.rules.filter((r) => decision.failed.includes(r.id))) {
  console.log(`       failed: ${rule.id} (${rule.article}: ${rule.quote})`);
}
for (const doc of decision.documents ?? []) console.log(`       document: ${doc}`);

// many students: JSON Lines in, JSON Lines out, one answer per line (a bad line gives an error line)
const students = [
  { id: "s1", facts },
  { id: "s2", facts: { ...facts, absence: { ...facts.absence, class_hours_missed: 40 } } },
  { id: "s3", facts: {} },
];
const batch = await check(await fetch(`${question}/batch?on=2025-03-03`, {
  method: "POST",
  headers: { ...headers, "Content-Type": "application/jsonl" },
  body: students.map((s) => JSON.stringify(s)).join("\n") + "\n",
}));
for (const line of (await batch.text()).split("\n").filter(Boolean)) {
  const answer = JSON.parse(line);
  if (answer.error) console.log(`batch  ${answer.id}: error ${answer.error.code}`);
  else console.log(`batch  ${answer.id}: outcome: ${answer.outcome}  status: ${answer.status}  failed: ${answer.failed.join(", ") || "-"}`);
}
