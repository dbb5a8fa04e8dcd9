// The explorer: a page for policy staff over `xueji serve` (docs/explorer.md).
// Plain JavaScript module, no build step, no third-party code: everything here is shipped in the package.

// ---------------------------------------------------------------- words of the page, 中文 first

const WORDS = {
  zh: {
    title: "学籍规定浏览器", views: "视图", regions: "地区", region: "地区", loading: "正在加载…",
    read: "读规定", try: "试案例", compare: "比较", check: "校验",
    read_sub: "逐条阅读规定及其编码", try_sub: "填写学生情况，得出答复", compare_sub: "各地阈值与答复对照", check_sub: "上传修改后的规定，查看问题",
    upload_region: "上传", doc_no: "文号", version: "版本", articles_n: "条", cases: "合规用例", passed: "通过", failed_n: "未通过",
    search: "搜索条文、规则或编号", all_status: "全部状态", layer: "层级", effective: "施行",
    rules_encode: "编码此条的规则", omitted: "未编码", why_omitted: "原因", no_rules: "此条没有规则，也未说明原因。",
    strength: "效力", condition: "条件", statute_words: "条文原话", parameters: "参数", readings: "解读", documents: "所需材料",
    procedure: "程序", deadlines: "期限", covered_by: "覆盖此规则的合规用例", none: "无", from: "起",
    gate: "须等待", not_gate: "不须等待", question: "问题", date: "日期", ask: "判断", reset: "清空",
    facts_form: "学生情况", facts_hint: "只列出此问题会读取的事实；留空表示未知，不会被猜测。",
    unknown: "未知", yes: "是", no: "否", outcome: "结论", norm: "规范", status: "下一步",
    rules: "规则", rule: "规则", article: "条款", held: "成立", failed: "不成立", not_applicable: "不适用", unknown_st: "无法判断",
    missing: "需要补充的事实", awaiting: "等待批准", approvals: "批准与同意", filings: "备案",
    steps: "办理步骤", article_text: "条文全文", facts_read: "读取的事实", not_given: "未提供",
    download: "下载为合规用例", note: "用例说明", note_default: "在浏览器中试算的案例",
    choose_regions: "比较的地区", thresholds: "不同的阈值", same_student: "同一学生在各地的答复",
    no_diff: "所选地区没有不同的阈值。", compare_ask: "各地判断", not_in_region: "此地区没有这个问题",
    upload_title: "上传规定文件夹", upload_hint: "把一个规定文件夹打成 .zip 或 .tar(.gz) 上传，或直接选择文件夹。文件只被读取，不会被执行；一小时后删除。",
    archive: "压缩包", folder: "文件夹", send: "上传并校验", valid: "校验通过", invalid: "发现问题",
    diagnostics: "诊断", where: "位置", code: "代码", message: "说明", hint: "建议",
    try_upload: "用此规定试案例", read_upload: "阅读此规定", error: "出错", deadline_problem: "无法计算",
    exception_by: "可批准例外", approver: "审批", by: "由", certificate: "证书", why: "条件各部分",
    loading_articles: "正在运行合规用例并整理条文…", outcome_of: "结论", nothing: "—",
    missing_field: "缺", lang_button: "EN", filter_question: "全部问题", regions_none: "至少选择两个地区。",
    upload_id: "上传编号", case_file: "合规用例文件", when: "适用于", require: "要求",
    rules_of: "条规则", omitted_of: "条未编码", item: "项",
    token_title: "需要访问令牌", token_hint: "此服务要求令牌（Bearer token），请向管理员索取。令牌只保存在本标签页中。", token: "令牌", token_use: "使用",
    readings_choice: "解读（可切换）", readings_hint: "条文含义不明之处，本规定选定了一种读法；可换成另一种读法试算，看答复是否改变。", policy_choice: "本规定采用",
  },
  en: {
    title: "Student-registry regulations explorer", views: "Views", regions: "Regions", region: "Region", loading: "Loading…",
    read: "Read", try: "Try a case", compare: "Compare", check: "Check",
    read_sub: "the regulation article by article, with its encoding", try_sub: "fill in a student, get the answer",
    compare_sub: "thresholds and answers side by side", check_sub: "upload an edited policy, see its problems",
    upload_region: "upload", doc_no: "Document no.", version: "Version", articles_n: "articles", cases: "Compliance cases",
    passed: "passed", failed_n: "failed",
    search: "Search text, rules or ids", all_status: "All statuses", layer: "Layer", effective: "in force from",
    rules_encode: "Rules encoding this article", omitted: "Not encoded", why_omitted: "reason",
    no_rules: "No rule encodes this article and no reason is given.",
    strength: "Strength", condition: "Condition", statute_words: "The statute's words", parameters: "Parameters",
    readings: "Readings", documents: "Documents", procedure: "Procedure", deadlines: "Deadlines",
    covered_by: "Compliance cases covering this rule", none: "none", from: "from",
    gate: "waited for", not_gate: "not waited for", question: "Question", date: "Date", ask: "Ask", reset: "Clear",
    facts_form: "The student", facts_hint: "Only the facts this question reads. Empty means unknown: never guessed.",
    unknown: "unknown", yes: "yes", no: "no", outcome: "Outcome", norm: "Norm", status: "Next step",
    rules: "Rules", rule: "Rule", article: "Article", held: "held", failed: "failed", not_applicable: "not applicable",
    unknown_st: "unknown", missing: "Facts to find out", awaiting: "Awaiting approval", approvals: "Approvals and consents",
    filings: "Filings", steps: "Steps", article_text: "Article text", facts_read: "Facts read", not_given: "not given",
    download: "Download as a compliance case", note: "Case note", note_default: "a case tried in the browser",
    choose_regions: "Regions to compare", thresholds: "Thresholds that differ", same_student: "One student in each region",
    no_diff: "The regions chosen have no differing thresholds.", compare_ask: "Answer in each region",
    not_in_region: "this region has no such question",
    upload_title: "Upload a policy folder", upload_hint: "Upload one policy folder as .zip or .tar(.gz), or choose the folder. Files are only read, never executed, and deleted after an hour.",
    archive: "Archive", folder: "Folder", send: "Upload and check", valid: "Valid", invalid: "Problems found",
    diagnostics: "Diagnostics", where: "Where", code: "Code", message: "Message", hint: "Hint",
    try_upload: "Try cases against it", read_upload: "Read it", error: "Error", deadline_problem: "cannot be computed",
    exception_by: "exception granted by", approver: "approver", by: "by", certificate: "Certificate", why: "Condition parts",
    loading_articles: "Running the compliance cases and arranging the articles…", outcome_of: "Outcome", nothing: "—",
    missing_field: "missing", lang_button: "中文", filter_question: "All questions", regions_none: "Choose at least two regions.",
    upload_id: "Upload id", case_file: "Compliance case file", when: "applies when", require: "requires",
    rules_of: "rules", omitted_of: "omitted", item: "item",
    token_title: "An access token is needed", token_hint: "This service asks for a bearer token: get one from its administrator. It is kept in this tab only.", token: "Token", token_use: "Use",
    readings_choice: "Readings (switchable)", readings_hint: "Where the text is vague the policy chose one reading; try another to see whether the answer changes.", policy_choice: "the policy's choice",
  },
};

const OUTCOMES = {
  allowed: ["允许", "allowed", "ok"],
  allowed_with_approval: ["经批准后允许", "allowed with approval", "ok"],
  required: ["应当办理", "required", "ok"],
  denied_unless_exception: ["原则上不允许（可申请例外）", "denied unless an exception is granted", "warn"],
  denied: ["不允许", "denied", "bad"],
  undetermined: ["无法判断（缺少事实）", "undetermined (facts missing)", "unk"],
  not_regulated: ["本规定未作规定", "not regulated", "unk"],
};
const NORMS = {
  allowed: ["允许", "allowed"], required: ["应当", "required"], denied_unless_exception: ["原则上不", "denied unless exception"],
  denied: ["不得", "denied"], undetermined: ["无法判断", "undetermined"], not_regulated: ["未作规定", "not regulated"],
};
const STATUSES = {
  proceed: ["可以办理", "proceed"], await_approval: ["等待批准", "await approval"], refused: ["不予办理", "refused"],
  ask_for_facts: ["补充事实", "ask for facts"], not_regulated: ["未作规定", "not regulated"],
};
const STRENGTHS = { "不得": "prohibited", "原则上不": "not in principle", "须经批准": "needs approval", "可以": "permitted", "应当": "required" };
const RULE_MARK = { held: ["✓", "held"], failed: ["✗", "failed"], unknown: ["?", "unknown_st"], not_applicable: ["–", "not_applicable"] };
const ART_STATUS = { encoded: ["已编码", "encoded"], partly: ["部分编码", "partly encoded"], omitted: ["未编码", "not encoded"], unaccounted: ["未说明", "not accounted for"] };
const STATE_WORDS = { given: ["已批准", "given"], refused: ["不予批准", "refused"], pending: ["待批准", "pending"] };

const LANG_KEY = "xueji-explorer-lang";
let lang = localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh";
const t = (k) => WORDS[lang][k] ?? WORDS.zh[k] ?? k;
const pick = (pair) => (pair ? (lang === "en" ? pair[1] : pair[0]) : "");

// ---------------------------------------------------------------- small DOM helpers

function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "html") throw new Error("no raw HTML");
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, v);
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : String(kid));
  }
  return el;
}
const bi = (zh, en) => (lang === "en" && en ? h("span", {}, en, " ", h("span", { class: "zh-aside" }, zh)) : zh);
const fill = (el, ...kids) => el.replaceChildren(...kids.flat(Infinity).filter((k) => k !== null && k !== undefined && k !== false));
const section = (title, ...kids) => h("section", { class: "block" }, h("h3", {}, title), ...kids);

// ---------------------------------------------------------------- talking to the service

class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

const regionPath = (r) => r.split("/").map(encodeURIComponent).join("/");

// with `xueji serve --token-file`, /v1 needs a bearer token: asked for once, kept for this tab only
const TOKEN_KEY = "xueji-explorer-token";
async function api(path, opts = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = { ...(opts.headers || {}), ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const res = await fetch(path, { ...opts, headers });
  const type = res.headers.get("content-type") || "";
  const body = type.includes("json") ? await res.json() : await res.text();
  if (res.headers.get("x-xueji-policies")) state.policiesHash = res.headers.get("x-xueji-policies");
  if (!res.ok) throw new ApiError(res.status, typeof body === "object" ? body : { title: String(body).slice(0, 200) });
  return body;
}
const postJSON = (path, data) => api(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(data) });

function tokenForm() {
  const input = h("input", { type: "password", id: "token", autocomplete: "off", size: 40 });
  return h("form", { class: "block", id: "token-form", onsubmit: (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    location.reload();
  } }, h("h3", {}, t("token_title")), h("p", { class: "muted" }, t("token_hint")),
  h("div", { class: "actions" }, h("label", { for: "token" }, t("token")), input, h("button", { type: "submit", class: "primary" }, t("token_use"))));
}

function problemBox(err) {
  if (err.status === 401) return tokenForm();
  const p = err.problem || {};
  return h("div", { class: "alert bad", role: "alert" },
    h("strong", {}, t("error"), p.code ? ` (${p.code})` : "", "："), err.message,
    p.errors && p.errors.length ? diagTable(p.errors) : null);
}

// ---------------------------------------------------------------- state and routing

const state = {
  regions: [], details: {}, articles: {}, schemas: {}, policiesHash: "",
  route: { view: "read", region: null, question: null },
  tries: {},   // "region|question" -> {values, on, result, note}
  compare: { regions: null, on: today(), question: null, values: {}, params: null, answers: null },
  upload: null,
};

function today() {
  const d = new Date();
  const z = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${z(d.getMonth() + 1)}-${z(d.getDate())}`;
}

function parseHash() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const view = ["read", "try", "compare", "check"].includes(parts[0]) ? parts[0] : "read";
  return { view, region: parts[1] || null, question: parts[2] || null };
}
function go(view, region, question) {
  const segs = [view, region, question].filter(Boolean).map(encodeURIComponent);
  const target = "#/" + segs.join("/");
  if (location.hash === target) render();
  else location.hash = target;
}

async function regionDetail(region) {
  if (!state.details[region]) state.details[region] = await api(`/v1/regions/${regionPath(region)}`);
  return state.details[region];
}
async function factsSchema(region, question) {
  const key = `${region}|${question}`;
  if (!state.schemas[key]) {
    state.schemas[key] = await api(`/v1/regions/${regionPath(region)}/questions/${encodeURIComponent(question)}/facts-schema`);
  }
  return state.schemas[key];
}
const questionsOf = (detail) => (detail.questions || []).map((q) => (typeof q === "string" ? { question: q, title: q } : q));

// ---------------------------------------------------------------- the frame: navigation and language

function renderFrame() {
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  document.title = t("title");
  document.getElementById("brand-title").textContent = t("title");
  document.getElementById("lang").textContent = t("lang_button");
  document.getElementById("nav-views-h").textContent = t("views");
  document.getElementById("nav-regions-h").textContent = t("regions");
  document.getElementById("policies-hash").textContent = state.policiesHash ? `policies ${state.policiesHash.slice(0, 12)}` : "";
  const { view } = state.route;
  const views = document.getElementById("views");
  views.replaceChildren(...["read", "try", "compare", "check"].map((v) => h("li", {},
    h("a", { href: "#", class: v === view ? "active" : null, "data-view": v,
             onclick: (e) => { e.preventDefault(); go(v, ["read", "try"].includes(v) ? currentRegion() : null); } },
      h("span", { class: "nav-main" }, t(v)), h("span", { class: "nav-sub" }, t(`${v}_sub`))))));
  const regions = document.getElementById("regions");
  regions.replaceChildren(...state.regions.map((r) => h("li", {},
    h("a", { href: "#", "data-region": r.region, class: r.region === currentRegion() ? "active" : null,
             onclick: (e) => { e.preventDefault(); go(["read", "try"].includes(view) ? view : "read", r.region); } },
      h("span", { class: "nav-main" }, r.upload ? `${t("upload_region")} ${r.region}` : r.jurisdiction || r.region),
      h("span", { class: "nav-sub mono" }, r.region)))));
}

function currentRegion() {
  return state.route.region || state.lastRegion || (state.regions[0] && state.regions[0].region);
}

async function render() {
  state.route = parseHash();
  if (["read", "try"].includes(state.route.view)) state.lastRegion = currentRegion();
  renderFrame();
  const main = document.getElementById("main");
  const token = (state.renderToken = (state.renderToken || 0) + 1);
  const view = { read: viewRead, try: viewTry, compare: viewCompare, check: viewCheck }[state.route.view];
  fill(main, h("p", { class: "muted" }, t("loading")));
  try {
    const node = await view(token);
    if (token === state.renderToken) fill(main, node);
  } catch (err) {
    if (token !== state.renderToken) return;
    if (err instanceof ApiError) fill(main, problemBox(err));
    else throw err;
  }
  renderFrame();
  main.dataset.view = state.route.view;
  main.dataset.ready = "1";
}

// ---------------------------------------------------------------- 读规定: the regulation with its encoding

function strengthBadge(s) {
  if (!s) return null;
  return h("span", { class: `badge strength s-${Object.keys(STRENGTHS).indexOf(s)}` }, lang === "en" ? STRENGTHS[s] || s : s);
}

function paramValues(p) {
  return h("ul", { class: "plain" }, (p.values || []).map(([d, v]) =>
    h("li", {}, h("b", {}, `${v}${p.unit ? " " + p.unit : ""}`), h("span", { class: "muted" }, ` ${lang === "en" ? t("from") + " " + d : d + " " + t("from")}`))));
}

function paramTable(params) {
  if (!params.length) return null;
  return h("table", { class: "grid compact" },
    h("thead", {}, h("tr", {}, h("th", {}, t("parameters")), h("th", {}, lang === "en" ? "value (dated)" : "取值（按日期）"), h("th", {}, t("article")))),
    h("tbody", {}, params.map((p) => h("tr", {},
      h("td", {}, bi(p.title, p.en), h("div", { class: "mono muted" }, p.name)),
      h("td", {}, paramValues(p)),
      h("td", {}, p.article, p.quote ? h("div", { class: "quote small" }, p.quote) : null)))));
}

function readingList(readings) {
  // each reading by its title; its reasoning (often long) folded under it
  if (!readings.length) return null;
  return h("div", { class: "readings" }, readings.map((r) => h("details", { class: "reading", "data-reading": r.id },
    h("summary", {}, r.title, " ", h("span", { class: "mono muted" }, r.id),
      r.option || r.chosen ? h("span", { class: "tag" }, r.option || r.chosen) : null),
    r.text ? h("p", {}, r.text) : null,
    r.en && lang === "en" ? h("p", { class: "en" }, r.en) : null,
    r.options ? h("div", { class: "muted" }, (lang === "en" ? "options: " : "可选：") + r.options.map((o) => (Array.isArray(o) ? o[0] : o.option)).join(" / ")) : null)));
}

function procedureList(items) {
  if (!items.length) return null;
  return h("ul", { class: "plain" }, items.map((p) => h("li", {},
    h("span", { class: "badge kind" }, lang === "en" && p.kind_en ? p.kind_en : p.kind), " ",
    p.by, p.level ? h("span", { class: "muted" }, `（${lang === "en" && p.level_en ? p.level_en : p.level}）`) : null, " ",
    h("span", { class: "muted" }, `「${p.words}」`), " ",
    h("span", { class: p.gate ? "tag gate" : "tag" }, p.gate ? t("gate") : t("not_gate")))));
}

function caseList(cases) {
  if (!cases.length) return h("p", { class: "muted" }, t("none"));
  const FIRST = 4;  // a rule may have dozens: the first few, the rest folded
  if (cases.length > FIRST + 1) {
    return h("div", {}, caseList(cases.slice(0, FIRST)),
      h("details", { class: "more-cases" }, h("summary", {}, lang === "en" ? `${cases.length - FIRST} more` : `另有 ${cases.length - FIRST} 条`),
        caseList(cases.slice(FIRST))));
  }
  return h("ul", { class: "cases" }, cases.map((c) => h("li", {},
    h("span", { class: `mark ${c.status}` }, c.status === "held" ? "✓" : "✗"), " ",
    c.note, " ", h("span", { class: "mono muted" }, `${c.file}:${c.line}`),
    c.passed ? null : h("span", { class: "tag bad" }, lang === "en" ? " case fails" : " 用例未通过"))));
}

function ruleCard(r) {
  const kv = (label, node) => (node ? h("div", { class: "kv" }, h("div", { class: "k" }, label), h("div", { class: "v" }, node)) : null);
  return h("article", { class: "rule", id: `rule-${r.question}-${r.id}`, "data-rule": r.id },
    h("header", {},
      strengthBadge(r.strength), " ",
      h("strong", {}, bi(r.title, r.en)), " ",
      h("span", { class: "mono muted" }, `${r.question}.${r.id}`),
      r.article !== undefined ? h("span", { class: "art-ref" }, r.article) : null),
    kv(t("statute_words"), r.quote ? h("blockquote", { class: "quote" }, r.quote) : null),
    kv(t("condition"), r.condition ? bi(r.condition, r.condition_en) : null),
    kv(t("parameters"), paramTable(r.parameters || [])),
    kv(t("readings"), readingList(r.readings || [])),
    kv(t("documents"), r.documents && r.documents.length ? h("ul", { class: "plain" }, r.documents.map((d) => h("li", {}, d))) : null),
    kv(t("procedure"), procedureList(r.procedure || [])),
    kv(t("exception_by"), r.exception_by),
    kv(t("deadlines"), r.deadlines && r.deadlines.length ? h("ul", { class: "plain" }, r.deadlines.map((d) => h("li", {}, bi(d.title, d.en)))) : null),
    kv(t("covered_by"), caseList(r.cases || [])));
}

function articleRow(row) {
  const status = ART_STATUS[row.status] || [row.status, row.status];
  const questions = [...new Set(row.rules.map((r) => r.question))].join(" ");
  return h("div", { class: `article-row st-${row.status}`, id: `art-${row.layer}-${row.article}`, "data-article": row.article,
                    "data-status": row.status, "data-questions": questions },
    h("div", { class: "art-text" },
      h("div", { class: "art-head" }, h("span", { class: "art-id" }, row.article), h("span", { class: `badge st st-${row.status}` }, pick(status))),
      row.text ? h("p", { class: "statute" }, row.text) : h("p", { class: "muted" }, lang === "en" ? "(not in the text's headings)" : "（不在条文标题中）")),
    h("div", { class: "art-enc" },
      row.rules.map(ruleCard),
      row.rules.length ? null : (row.parameters || []).length ? paramTable(row.parameters) : null,
      row.omitted.map((o) => h("div", { class: "omitted" },
        h("span", { class: "badge omit" }, t("omitted"), " · ", lang === "en" && o.kind_en ? o.kind_en : o.kind), " ",
        o.article !== row.article ? h("span", { class: "art-ref" }, o.article) : null,
        h("div", {}, h("span", { class: "muted" }, t("why_omitted"), "："), bi(o.reason, o.en)))),
      !row.rules.length && !row.omitted.length && !(row.parameters || []).length ? h("p", { class: "muted" }, t("no_rules")) : null));
}

async function viewRead(token) {
  const region = currentRegion();
  if (!region) return h("p", {}, t("none"));
  if (!state.articles[region]) {
    document.getElementById("main").replaceChildren(h("p", { class: "muted" }, t("loading_articles")));
    state.articles[region] = await api(`/v1/regions/${regionPath(region)}/articles`);
  }
  if (token !== state.renderToken) return h("div");
  const rep = state.articles[region];
  const counts = rep.status_counts || {};
  const filter = state.readFilter || (state.readFilter = { q: "", status: "", question: "" });
  const qnames = new Map();
  for (const layer of rep.layers) for (const row of layer.articles) for (const r of row.rules) {
    if (!qnames.has(r.question)) qnames.set(r.question, lang === "en" && r.question_en ? r.question_en : r.question_title || r.question);
  }
  if (filter.question && !qnames.has(filter.question)) filter.question = "";
  const list = h("div", { class: "articles" });
  const apply = () => {
    const q = filter.q.trim().toLowerCase();
    let shown = 0;
    for (const el of list.querySelectorAll(".article-row")) {
      const ok = (!filter.status || el.dataset.status === filter.status) && (!q || el.textContent.toLowerCase().includes(q))
        && (!filter.question || el.dataset.questions.split(" ").includes(filter.question));
      el.hidden = !ok;
      if (ok) shown += 1;
    }
    count.textContent = lang === "en" ? `${shown} shown` : `显示 ${shown} 条`;
  };
  const count = h("span", { class: "muted", id: "shown" });
  for (const layer of rep.layers) {
    list.append(h("h2", { class: "layer-title" }, layer.title,
      h("span", { class: "muted" }, ` ${layer.jurisdiction || ""}${layer.document_number ? " · " + layer.document_number : ""} · ${t("effective")} ${layer.effective_from}`)));
    for (const row of layer.articles) list.append(articleRow(row));
  }
  const node = h("div", { class: "view view-read" },
    h("div", { class: "view-head" },
      h("h1", {}, rep.title),
      h("div", { class: "facts-line" },
        h("span", {}, rep.jurisdiction), rep.document_number ? h("span", {}, `${t("doc_no")} ${rep.document_number}`) : null,
        h("span", {}, `${t("version")} ${rep.version}`),
        h("span", {}, `${rep.articles} ${t("articles_n")}`),
        Object.entries(counts).filter(([, n]) => n).map(([k, n]) => h("span", { class: `badge st st-${k}` }, `${pick(ART_STATUS[k])} ${n}`)),
        rep.cases ? h("span", {}, `${t("cases")}：${rep.cases.passed} ${t("passed")}${rep.cases.failed ? `，${rep.cases.failed} ${t("failed_n")}` : ""}`) : null)),
    h("div", { class: "toolbar" },
      h("input", { type: "search", id: "q", placeholder: t("search"), value: filter.q, oninput: (e) => { filter.q = e.target.value; apply(); } }),
      h("select", { id: "st", onchange: (e) => { filter.status = e.target.value; apply(); } },
        h("option", { value: "" }, t("all_status")),
        Object.keys(ART_STATUS).map((k) => h("option", { value: k, selected: filter.status === k }, pick(ART_STATUS[k])))),
      h("select", { id: "rq", onchange: (e) => { filter.question = e.target.value; apply(); } },
        h("option", { value: "" }, t("filter_question")),
        [...qnames].map(([k, title]) => h("option", { value: k, selected: filter.question === k }, `${title} (${k})`))),
      count),
    list);
  apply();
  const target = state.route.question;  // #/read/<region>/<article>
  if (target) {
    requestAnimationFrame(() => {
      const el = [...list.querySelectorAll(".article-row")].find((x) => x.dataset.article === target)
        || [...list.querySelectorAll(".article-row")].find((x) => target.startsWith(x.dataset.article));
      if (el) { el.hidden = false; el.classList.add("target"); el.scrollIntoView({ block: "start" }); }
    });
  }
  return node;
}

// ---------------------------------------------------------------- the facts form, from a question's JSON Schema

function resolveNode(node, root) {
  let n = node;
  for (let i = 0; i < 8 && n; i++) {
    if (n.$ref) {
      const name = n.$ref.replace(/^#\/\$defs\//, "");
      n = { ...((root.$defs || {})[name] || {}), ...Object.fromEntries(Object.entries(n).filter(([k]) => k !== "$ref")) };
    } else if (n.anyOf || n.oneOf) {
      const alts = n.anyOf || n.oneOf;
      const str = alts.find((a) => a.type === "string");
      const rest = Object.fromEntries(Object.entries(n).filter(([k]) => k !== "anyOf" && k !== "oneOf"));
      n = str ? { ...rest, ...str, type: "string", "x-place": true } : { ...rest, ...alts[0] };
    } else break;
  }
  return n || {};
}

function splitDescription(desc) {
  // "中文 — English. Codes 代码: a = 甲; b = 乙" (the library's schema) or plain English (the service's)
  const text = desc || "";
  const m = text.match(/^(.*?) — (.*)$/s);
  const en = (m ? m[2] : text).replace(/\. Codes 代码: .*$/s, "").replace(/ \(unit 单位: .*\)$/, "");
  return { zh: m ? m[1] : null, en };
}

function choicesOf(leaf) {
  const out = [];
  const xc = leaf["x-choices"] || (leaf.items && leaf.items["x-choices"]);
  const codes = leaf.enum || (leaf.items && leaf.items.enum) || Object.keys(xc || {});
  const parsed = {};
  const m = (leaf.description || "").match(/Codes 代码: (.*)$/s);
  if (m) for (const pair of m[1].split("; ")) { const [c, zh] = pair.split(" = "); if (c && zh) parsed[c.trim()] = zh.trim(); }
  for (const code of codes) {
    if (code === null) continue;
    const c = xc && xc[code];
    const zh = c ? (typeof c === "string" ? c : c.zh) : parsed[code];
    const en = c && typeof c === "object" ? c.en : null;
    out.push({ code, zh: zh || code, en: en || code });
  }
  return out;
}

function leafKind(leaf) {
  const types = [].concat(leaf.type || []);
  if (leaf.type === "array" || types.includes("array")) return "list";
  if (leaf.enum || leaf["x-choices"]) return "enum";
  if (types.includes("boolean")) return "bool";
  if (leaf.format === "date") return "date";
  if (types.includes("integer")) return "int";
  if (types.includes("number")) return "number";
  return "text";
}

// the top-level groups of the facts vocabulary (docs/facts.md), when a schema gives no title for them
const GROUPS = {
  student: ["学生", "the student"], absence: ["缺课", "absence"], request: ["申请事项", "the request"],
  evidence: ["证明材料", "evidence"], results: ["成绩与评价", "results and credits"],
  enrolment: ["学额与人数", "enrolment counts"], approvals: ["审批与同意", "approvals and consents"],
};

// [{path, leaf, kind, group: [titles]}] in schema order
function leavesOf(schema) {
  const out = [];
  const walk = (node, prefix, groups) => {
    const n = resolveNode(node, schema);
    if (n.properties && (n.type === "object" || !n.type)) {
      for (const [k, sub] of Object.entries(n.properties)) {
        const s = resolveNode(sub, schema);
        const known = prefix ? null : GROUPS[k];
        const label = sub.title || s.title || splitDescription(sub.description || s.description).zh || (known ? known[0] : k);
        const en = splitDescription(sub.description || "").en || (known ? known[1] : k);
        if (s.properties && !s["x-place"]) walk(s, prefix + k + ".", [...groups, { zh: label, en, key: prefix + k }]);
        else out.push({ path: prefix + k, leaf: s, kind: leafKind(s), groups });
      }
    }
  };
  walk(schema, "", []);
  return out;
}

function setPath(obj, path, value) {
  const parts = path.split(".");
  let o = obj;
  for (const p of parts.slice(0, -1)) o = o[p] || (o[p] = {});
  o[parts[parts.length - 1]] = value;
}

function factsFrom(values) {
  const facts = {};
  for (const [path, v] of Object.entries(values)) {
    if (v === "" || v === null || v === undefined || (Array.isArray(v) && !v.length)) continue;
    setPath(facts, path, v);
  }
  return facts;
}

function fieldLabel(f) {
  const zh = f.leaf.title || splitDescription(f.leaf.description).zh || f.path;
  const en = splitDescription(f.leaf.description).en;
  const unit = f.leaf["x-unit"];
  return h("label", { class: "f-label", for: `f-${f.path}` },
    lang === "en" && en ? en : zh, unit ? h("span", { class: "muted" }, `（${unit}）`) : null,
    h("span", { class: "f-path mono" }, f.path),
    lang === "en" && en ? h("span", { class: "zh-aside" }, zh) : null);
}

function fieldInput(f, values, onchange) {
  const id = `f-${f.path}`;
  const v = values[f.path];
  const set = (x) => { values[f.path] = x; onchange(); };
  switch (f.kind) {
    case "enum":
      return h("select", { id, name: f.path, onchange: (e) => set(e.target.value) },
        h("option", { value: "" }, `（${t("unknown")}）`),
        choicesOf(f.leaf).map((c) => h("option", { value: c.code, selected: v === c.code }, lang === "en" ? `${c.en} · ${c.zh}` : `${c.zh}`)));
    case "list": {
      const chosen = new Set(v || []);
      return h("div", { class: "checks", id, role: "group" }, choicesOf(f.leaf).map((c) => h("label", { class: "check" },
        h("input", { type: "checkbox", name: f.path, value: c.code, checked: chosen.has(c.code),
                     onchange: (e) => { e.target.checked ? chosen.add(c.code) : chosen.delete(c.code); set([...chosen].sort()); } }),
        " ", lang === "en" ? [c.en, h("span", { class: "zh-aside" }, c.zh)] : c.zh)));
    }
    case "bool":
      return h("div", { class: "seg", id, role: "radiogroup" }, [["true", t("yes"), true], ["false", t("no"), false], ["", t("unknown"), ""]].map(([val, label, x]) =>
        h("label", {}, h("input", { type: "radio", name: f.path, value: val, checked: v === x || (val === "" && (v === undefined || v === "")),
                                    onchange: () => set(x) }), label)));
    case "date":
      return h("input", { type: "date", id, name: f.path, value: v || "", onchange: (e) => set(e.target.value) });
    case "int":
      return h("input", { type: "number", id, name: f.path, step: "1", min: f.leaf.minimum, max: f.leaf.maximum, value: v ?? "",
                          oninput: (e) => set(e.target.value === "" ? "" : Number(e.target.value)) });
    case "number":
      return h("input", { type: "text", id, name: f.path, inputmode: "decimal", value: v ?? "", placeholder: lang === "en" ? "e.g. 230 or 1/3" : "如 230 或 1/3",
                          oninput: (e) => { const s = e.target.value.trim(); set(s === "" ? "" : /^\d+(\.\d+)?$/.test(s) ? Number(s) : s); } });
    default:
      return h("input", { type: "text", id, name: f.path, value: v ?? "", placeholder: f.leaf["x-place"] ? (lang === "en" ? "division code, e.g. 320106" : "行政区划代码，如 320106") : "",
                          oninput: (e) => set(e.target.value) });
  }
}

function factsForm(schema, values, missing, onchange) {
  const fields = leavesOf(schema);
  const form = h("div", { class: "facts-form" });
  let lastGroup = null;
  let box = null;
  for (const f of fields) {
    const g = f.groups.map((x) => x.key).join("/");
    if (g !== lastGroup) {
      lastGroup = g;
      const title = f.groups.map((x) => (lang === "en" ? x.en : x.zh)).join(" › ") || "—";
      box = h("fieldset", { class: "group" }, h("legend", {}, title));
      form.append(box);
    }
    const miss = missing && missing.includes(f.path);
    box.append(h("div", { class: `field${miss ? " missing" : ""}`, "data-path": f.path },
      fieldLabel(f), fieldInput(f, values, onchange),
      miss ? h("span", { class: "tag bad" }, t("missing_field")) : null));
  }
  if (!fields.length) form.append(h("p", { class: "muted" }, t("none")));
  return form;
}

// ---------------------------------------------------------------- 试案例: try a case

function outcomeBanner(d) {
  const o = OUTCOMES[d.outcome] || [d.outcome, d.outcome, "unk"];
  return h("div", { class: `banner ${o[2]}`, id: "outcome", "data-outcome": d.outcome, "data-status": d.status },
    h("div", { class: "banner-main" }, h("span", { class: "big" }, pick(o)), h("span", { class: "mono" }, d.outcome)),
    h("div", { class: "banner-side" },
      h("div", {}, h("span", { class: "k" }, t("norm")), pick(NORMS[d.norm]) || d.norm),
      h("div", {}, h("span", { class: "k" }, t("status")), h("b", { "data-status": d.status }, pick(STATUSES[d.status]) || d.status)),
      d.certificate ? h("div", {}, h("span", { class: "k" }, t("certificate")), d.certificate) : null,
      h("div", { class: "muted small" }, `${d.policy.title} · ${d.on} · ${d.policy.content_hash.slice(0, 12)}`)));
}

function conditionParts(parts) {
  if (!parts || !parts.length) return null;
  const mark = (v) => (v === true ? ["✓", "held"] : v === false ? ["✗", "failed"] : ["?", "unknown"]);
  return h("ul", { class: "parts" }, parts.map((p) => {
    const [m, cls] = mark(p.value);
    return h("li", {}, h("span", { class: `mark ${cls}` }, m), " ", h("span", { class: "muted" }, `${t(p.clause)}：`), h("code", {}, p.text));
  }));
}

function markQuote(text, quote) {
  const i = text && quote ? text.indexOf(quote) : -1;
  if (i < 0) return text;
  return [text.slice(0, i), h("mark", {}, quote), text.slice(i + quote.length)];
}

function factValue(v) {
  if (v === null || v === undefined) return h("span", { class: "muted" }, t("not_given"));
  if (Array.isArray(v)) return v.join("、") || "[]";
  if (v === true) return t("yes");
  if (v === false) return t("no");
  return String(v);
}

function rulesTable(d) {
  const why = d.why || {};
  return h("table", { class: "grid rules-table" },
    h("thead", {}, h("tr", {}, h("th", { class: "c-mark" }, ""), h("th", {}, t("rule")), h("th", {}, t("strength")), h("th", {}, t("article")), h("th", {}, t("condition")))),
    h("tbody", {}, d.rules.map((r) => {
      const [m, label] = RULE_MARK[r.status] || ["?", r.status];
      return h("tr", { class: `rs-${r.status}`, "data-rule": r.id, "data-status": r.status, "data-article": r.article },
        h("td", { class: `c-mark mark ${r.status}`, title: t(label) }, m),
        h("td", {}, h("div", {}, h("strong", {}, r.title)), h("div", { class: "mono muted" }, r.id), h("div", { class: "small" }, t(label)),
          r.approver ? h("div", { class: "small" }, `${t("approver")}：${r.approver}`) : null,
          r.exception_by ? h("div", { class: "small" }, `${t("exception_by")}：${r.exception_by}`) : null),
        h("td", {}, strengthBadge(r.strength)),
        h("td", { class: "nowrap" }, h("a", { href: `#/read/${encodeURIComponent(currentRegion())}/${encodeURIComponent(r.article)}`, class: "art-link" }, r.article)),
        h("td", {},
          h("div", {}, bi(r.message.zh, r.message.en)),
          conditionParts(why[r.id]),
          h("details", {}, h("summary", {}, t("article_text")),
            h("p", { class: "statute" }, markQuote(r.article_text, r.quote)),
            Object.keys(r.facts).length ? h("table", { class: "grid compact" }, h("tbody", {}, Object.entries(r.facts).map(([k, v]) =>
              h("tr", {}, h("td", { class: "mono" }, k), h("td", {}, factValue(v)))))) : null,
            Object.keys(r.parameters).length ? h("div", { class: "small" }, `${t("parameters")}：`, Object.entries(r.parameters).map(([k, v]) => {
              const p = d.parameters[k] || {};
              return h("span", { class: "tag" }, `${p.title || k} ${v}${p.unit ? " " + p.unit : ""}`);
            })) : null)));
    })));
}

function decisionView(d, fields) {
  const labelOf = (path) => {
    const f = fields.find((x) => x.path === path);
    return f ? (f.leaf.title || path) : path;
  };
  const awaiting = d.approvals.filter((a) => a.state === "pending");
  return h("div", { class: "decision", id: "decision" },
    outcomeBanner(d),
    d.missing_facts.length ? h("div", { class: "alert unk", id: "missing" }, h("strong", {}, t("missing"), "："),
      d.missing_facts.map((p) => h("a", { href: "#", class: "tag", onclick: (e) => { e.preventDefault(); const el = document.getElementById(`f-${p}`); if (el) el.focus(); } }, labelOf(p), " ", h("span", { class: "mono" }, p)))) : null,
    awaiting.length ? h("div", { class: "alert warn", id: "awaiting" }, h("strong", {}, t("awaiting"), "："),
      awaiting.map((a) => h("span", { class: "tag" }, `${a.by}（${a.level}）${a.kind} · ${a.article}`))) : null,
    d.approvers.length && !awaiting.length ? h("div", { class: "alert ok" }, h("strong", {}, t("approver"), "："), d.approvers.join("、")) : null,
    d.exception_by.length ? h("div", { class: "alert warn" }, h("strong", {}, t("exception_by"), "："), d.exception_by.join("、")) : null,
    section(t("rules"), rulesTable(d)),
    h("div", { class: "cols" },
      d.documents.length ? section(t("documents"), h("ul", { class: "plain" }, d.documents.map((x) => h("li", {}, x)))) : null,
      d.steps.length ? section(t("steps"), h("ol", {}, d.steps.map((s) => h("li", {}, h("b", {}, s.by), " ", s.do, h("span", { class: "mono muted" }, ` ${s.rule}`))))) : null,
      d.deadlines.length ? section(t("deadlines"), h("ul", { class: "plain" }, d.deadlines.map((x) => h("li", {},
        bi(x.title, x.en), "：", x.date ? h("b", {}, x.date) : h("span", { class: "tag bad" }, t("deadline_problem"), x.problem ? ` — ${x.problem}` : ""))))) : null,
      d.approvals.length ? section(t("approvals"), h("ul", { class: "plain" }, d.approvals.map((a) => h("li", {},
        h("span", { class: "badge kind" }, a.kind), ` ${a.by}（${a.level}） `, h("span", { class: `tag st-${a.state}` }, pick(STATE_WORDS[a.state]) || a.state), h("span", { class: "muted" }, ` ${a.article}「${a.words}」`))))) : null,
      d.filings.length ? section(t("filings"), h("ul", { class: "plain" }, d.filings.map((a) => h("li", {}, `${a.kind} ${a.by} `, h("span", { class: "muted" }, `${a.article}「${a.words}」`))))) : null,
      d.readings.length ? section(t("readings"), readingList(d.readings)) : null));
}

// --- the case as a compliance case file (policies/<region>/tests/*.yaml)

function caseDocument(question, on, facts, d, note, readings) {
  const want = { outcome: d.outcome, norm: d.norm, status: d.status, failed: [...d.failed] };
  const held = d.rules.filter((r) => r.status === "held").map((r) => r.id);
  if (held.length) want.held = held;
  if (d.missing_facts.length) want.missing = [...d.missing_facts];
  if (d.approvers.length) want.approvers = [...d.approvers];
  if (d.certificate !== null && d.certificate !== undefined) want.certificate = d.certificate;
  const one = { note, facts };
  if (readings && Object.keys(readings).length) one.readings = readings;
  one.want = want;
  return { question, on, cases: [one] };
}

const PLAIN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|~|y|n)$/i;
// text that YAML reads back as the same text unquoted: no indicator first, no digit first (a code like "320106"
// stays text only in quotes), none of : # , [ ] { } anywhere, no space at either end
const SAFE_TEXT = /^[^\s\-?:,[\]{}#&*!|>'"%@`0-9.+~][^:#,[\]{}\n\r]*(?<!\s)$/u;
function yamlScalar(v) {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean" || typeof v === "number") return String(v);
  const s = String(v);
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return s;
  if ((PLAIN.test(s) || SAFE_TEXT.test(s)) && !RESERVED.test(s)) return s;
  return JSON.stringify(s);  // a JSON string is a YAML double-quoted scalar
}
function yamlKey(k) { return PLAIN.test(k) ? k : JSON.stringify(k); }  // the case file's own keys (on:) are plain, as in policies/*/tests
function toYaml(v, indent = "") {
  if (Array.isArray(v)) {
    if (v.every((x) => x === null || typeof x !== "object")) return `[${v.map(yamlScalar).join(", ")}]`;
    return v.map((x) => `\n${indent}- ${toYaml(x, indent + "  ").replace(/^\n\s*/, "")}`).join("");
  }
  if (v && typeof v === "object") {
    const keys = Object.keys(v);
    if (!keys.length) return "{}";
    return keys.map((k) => {
      const x = v[k];
      const inner = toYaml(x, indent + "  ");
      const nested = x && typeof x === "object" && !(Array.isArray(x) && inner.startsWith("[")) && inner !== "{}";
      return `\n${indent}${yamlKey(k)}:${nested ? "" : " "}${inner}`;
    }).join("");
  }
  return yamlScalar(v);
}
function caseYaml(doc) {
  return `# ${t("case_file")}: xueji test; want: as answered on ${doc.on}\n` + toYaml(doc).replace(/^\n/, "") + "\n";
}

function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function viewTry(token) {
  const region = currentRegion();
  const detail = await regionDetail(region);
  const questions = questionsOf(detail);
  const question = state.route.question && questions.some((q) => q.question === state.route.question)
    ? state.route.question : (questions.find((q) => q.question === "suspension") || questions[0]).question;
  const key = `${region}|${question}`;
  const tr = state.tries[key] || (state.tries[key] = { values: {}, on: state.lastOn || today(), result: null, error: null, note: "" });
  const schema = await factsSchema(region, question);
  if (token !== state.renderToken) return h("div");
  const fields = leavesOf(schema);
  const out = h("div", { id: "result" });
  const qTitle = (q) => (lang === "en" && q.en ? `${q.en} · ${q.title}` : q.title || q.question);

  const showResult = () => {
    if (tr.error) fill(out, problemBox(tr.error));
    else if (tr.result) {
      const note = h("input", { type: "text", id: "case-note", value: tr.note || t("note_default"), oninput: (e) => { tr.note = e.target.value; } });
      const doc = () => caseDocument(question, tr.askedOn, tr.askedFacts, tr.result, note.value || t("note_default"), tr.askedReadings);
      const base = `${region.replace(/\W+/g, "_")}-${question}-${tr.askedOn}`;
      fill(out, decisionView(tr.result, fields),
        section(t("download"),
          h("div", { class: "toolbar" }, h("label", { for: "case-note" }, t("note")), note,
            h("button", { type: "button", id: "dl-yaml", onclick: () => download(`${base}.yaml`, caseYaml(doc()), "application/yaml") }, "YAML"),
            h("button", { type: "button", id: "dl-json", onclick: () => download(`${base}.json`, JSON.stringify(doc(), null, 2) + "\n", "application/json") }, "JSON"))));
    } else fill(out, );
  };
  const formBox = h("div");
  const drawForm = () => formBox.replaceChildren(factsForm(schema, tr.values, tr.result ? tr.result.missing_facts : [], () => {}));
  drawForm();

  // readings with alternatives: the policy's choice by default; another may be tried (docs/policy-language.md)
  const qinfo = questions.find((q) => q.question === question) || {};
  const choosable = (detail.readings || []).filter((r) => Array.isArray(r.options) && r.options.length > 1
    && (!Array.isArray(qinfo.readings) || qinfo.readings.includes(r.id)));
  tr.readings = tr.readings || {};
  const optionOf = (o) => (Array.isArray(o) ? { option: o[0], text: o[1] } : { option: o.option ?? o.name ?? o.id, text: o.text ?? o.meaning ?? "" });
  const readingsBox = choosable.length ? h("details", { class: "form-fold", id: "readings-form", open: Object.keys(tr.readings).length > 0 },
    h("summary", {}, t("readings_choice"), h("span", { class: "muted small" }, ` ${choosable.length}`)),
    h("p", { class: "muted small" }, t("readings_hint")),
    h("fieldset", { class: "group" }, choosable.map((r) => h("div", { class: "field", "data-reading": r.id },
      h("label", { class: "f-label", for: `r-${r.id}` }, lang === "en" && r.en ? r.en : r.title, h("span", { class: "f-path mono" }, r.id)),
      h("select", { id: `r-${r.id}`, onchange: (e) => { if (e.target.value === r.chosen) delete tr.readings[r.id]; else tr.readings[r.id] = e.target.value; } },
        r.options.map(optionOf).map((o) => h("option", { value: o.option, selected: (tr.readings[r.id] ?? r.chosen) === o.option, title: o.text },
          `${o.option}${o.option === r.chosen ? `（${t("policy_choice")}）` : ""} — ${o.text}`))))))) : null;

  const ask = async () => {
    const facts = factsFrom(tr.values);
    tr.askedFacts = facts;
    tr.askedOn = tr.on;
    tr.askedReadings = { ...tr.readings };
    const body = { facts, on: tr.on };
    if (Object.keys(tr.readings).length) body.readings = { ...tr.readings };
    try {
      tr.result = await postJSON(`/v1/regions/${regionPath(region)}/questions/${encodeURIComponent(question)}/ask?why=true`, body);
      tr.error = null;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      tr.error = err;
      tr.result = null;
    }
    drawForm();
    showResult();
    out.scrollIntoView({ block: "start" });
  };

  const node = h("div", { class: "view view-try" },
    h("div", { class: "view-head" }, h("h1", {}, t("try")), h("div", { class: "facts-line" }, h("span", {}, detail.title), h("span", { class: "mono" }, region))),
    h("form", { class: "try-form", id: "try-form", onsubmit: (e) => { e.preventDefault(); ask(); } },
      h("div", { class: "toolbar" },
        h("label", { for: "region-select" }, t("region")),
        h("select", { id: "region-select", onchange: (e) => go("try", e.target.value, question) },
          state.regions.map((r) => h("option", { value: r.region, selected: r.region === region }, r.upload ? `${t("upload_region")} ${r.region}` : `${r.jurisdiction || ""} ${r.region}`))),
        h("label", { for: "question" }, t("question")),
        h("select", { id: "question", onchange: (e) => go("try", region, e.target.value) },
          questions.map((q) => h("option", { value: q.question, selected: q.question === question }, lang === "en" && q.en ? qTitle(q) : `${qTitle(q)} (${q.question})`))),
        h("label", { for: "on" }, t("date")),
        h("input", { type: "date", id: "on", value: tr.on, required: true, onchange: (e) => { tr.on = state.lastOn = e.target.value; } }),
        h("button", { type: "submit", class: "primary", id: "ask" }, t("ask")),
        h("button", { type: "button", onclick: () => { tr.values = {}; tr.result = null; tr.error = null; drawForm(); showResult(); } }, t("reset"))),
      h("h2", {}, t("facts_form")), h("p", { class: "muted small" }, t("facts_hint")),
      formBox, readingsBox),
    out);
  showResult();
  return node;
}

// ---------------------------------------------------------------- 比较: regions side by side

function mergeSchemas(schemas) {
  // one form for several regions: the union of the facts each region's question reads (same vocabulary everywhere)
  const merged = { type: "object", properties: {}, $defs: {} };
  const mergeInto = (dst, src, root) => {
    for (const [k, v] of Object.entries(src.properties || {})) {
      const r = resolveNode(v, root);
      if (r.properties && !r["x-place"]) {
        const tgt = dst.properties[k] || (dst.properties[k] = { type: "object", properties: {}, title: v.title || r.title, description: v.description || r.description });
        mergeInto(tgt, r, root);
      } else if (!dst.properties[k]) dst.properties[k] = r;
    }
  };
  for (const s of schemas) mergeInto(merged, resolveNode(s, s), s);
  return merged;
}

function compareCell(cells) {
  if (!cells || !cells.length) return h("span", { class: "muted" }, t("nothing"));
  return cells.map((c) => h("div", { class: "cell" },
    h("b", {}, c.text || `${c.value}${c.unit ? " " + c.unit : ""}`),
    h("div", { class: "small" }, h("span", { class: "art-ref" }, c.article), c.name && c.name !== c.key ? h("span", { class: "mono muted" }, ` ${c.name}`) : null),
    c.quote ? h("div", { class: "quote small" }, c.quote) : null));
}

async function viewCompare(token) {
  const cs = state.compare;
  const base = state.regions.filter((r) => !r.upload);
  if (!cs.regions) cs.regions = base.filter((r) => !r.region.includes("/")).map((r) => r.region);
  const names = cs.regions;
  const qs = new Map();
  await Promise.all(names.map(regionDetail));
  for (const r of names) for (const q of questionsOf(state.details[r])) if (!qs.has(q.question)) qs.set(q.question, q);
  if (!cs.question || !qs.has(cs.question)) cs.question = qs.has("suspension") ? "suspension" : [...qs.keys()][0];
  const paramBox = h("div", { id: "thresholds" });
  if (names.length >= 2) {
    if (!cs.params || cs.paramsKey !== `${names}|${cs.on}`) {
      cs.params = await api(`/v1/compare?regions=${names.map(encodeURIComponent).join(",")}&on=${cs.on}`);
      cs.paramsKey = `${names}|${cs.on}`;
      cs.answers = null;
    }
    const rows = (cs.params.parameters || []).filter((p) => p.differs !== false);
    const heads = (cs.params.regions || names.map((n) => ({ name: n }))).map((r) =>
      h("th", { "data-region": r.name }, r.jurisdiction || r.name, h("div", { class: "mono muted" }, r.name)));
    paramBox.append(rows.length ? h("table", { class: "grid compare-table" },
      h("thead", {}, h("tr", {}, h("th", {}, t("parameters")), heads)),
      h("tbody", {}, rows.map((p) => h("tr", { "data-key": p.key }, h("td", {}, h("strong", {}, p.title), h("div", { class: "mono muted" }, p.key)),
        p.cells.map((c) => h("td", {}, compareCell(c))))))) : h("p", { class: "muted" }, t("no_diff")));
  } else paramBox.append(h("p", { class: "alert warn" }, t("regions_none")));

  const schemas = [];
  for (const r of names) {
    if (questionsOf(state.details[r]).some((q) => q.question === cs.question)) schemas.push(await factsSchema(r, cs.question));
  }
  if (token !== state.renderToken) return h("div");
  const schema = mergeSchemas(schemas);
  const fields = leavesOf(schema);
  const answers = h("div", { id: "answers" });
  const showAnswers = () => {
    if (cs.error) return fill(answers, problemBox(cs.error));
    if (!cs.answers) return fill(answers, );
    const decs = cs.answers.decisions || [];
    fill(answers, h("div", { class: "side-by-side", style: `grid-template-columns: repeat(${Math.max(decs.length, 1)}, minmax(0, 1fr))` },
      decs.map((d) => {
        const reg = d.region || {};
        const o = OUTCOMES[d.outcome] || [d.outcome || "", d.outcome || "", "unk"];
        return h("div", { class: "region-answer", "data-region": reg.name || reg.id },
          h("h3", {}, reg.jurisdiction || reg.name, h("span", { class: "mono muted" }, ` ${reg.name || reg.id}`)),
          d.error ? h("div", { class: "alert unk" },
            state.details[reg.name] && !questionsOf(state.details[reg.name]).some((q) => q.question === cs.question)
              ? t("not_in_region") : typeof d.error === "string" ? d.error : d.error.message || d.error.title || d.error.code) :
            h("div", {},
              h("div", { class: `banner small ${o[2]}`, "data-outcome": d.outcome }, h("span", { class: "big" }, pick(o)), h("span", { class: "mono" }, d.outcome)),
              d.rule ? h("div", { class: "kv" }, h("div", { class: "k" }, t("rule")), h("div", { class: "v" }, h("span", { class: "mono" }, d.rule), " ", h("span", { class: "art-ref" }, d.article))) : null,
              d.quote ? h("blockquote", { class: "quote small" }, d.quote) : null,
              d.failed && d.failed.length ? h("div", { class: "kv" }, h("div", { class: "k" }, t("failed")), h("div", { class: "v mono" }, d.failed.join(", "))) : null,
              d.missing_facts && d.missing_facts.length ? h("div", { class: "kv" }, h("div", { class: "k" }, t("missing")), h("div", { class: "v" }, d.missing_facts.map((p) => {
                const f = fields.find((x) => x.path === p);
                return h("div", {}, f ? (f.leaf.title || p) : p, " ", h("span", { class: "mono muted" }, p));
              }))) : null,
              d.approvers && d.approvers.length ? h("div", { class: "kv" }, h("div", { class: "k" }, t("approver")), h("div", { class: "v" }, d.approvers.join("、"))) : null,
              d.exception_by && d.exception_by.length ? h("div", { class: "kv" }, h("div", { class: "k" }, t("exception_by")), h("div", { class: "v" }, d.exception_by.join("、"))) : null));
      })));
  };
  showAnswers();
  const ask = async () => {
    try {
      const shown = new Set(fields.map((f) => f.path));  // only what the form shows: values kept from another question stay out
      const facts = factsFrom(Object.fromEntries(Object.entries(cs.values).filter(([k]) => shown.has(k))));
      cs.answers = await postJSON(`/v1/compare/${encodeURIComponent(cs.question)}?regions=${names.map(encodeURIComponent).join(",")}`, { facts, on: cs.on });
      cs.error = null;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      cs.error = err;
    }
    showAnswers();
    answers.scrollIntoView({ block: "start" });
  };
  const qTitle = (q) => (lang === "en" && q.en ? `${q.en} · ${q.title}` : q.title || q.question);
  return h("div", { class: "view view-compare" },
    h("div", { class: "view-head" }, h("h1", {}, t("compare"))),
    h("div", { class: "toolbar" },
      h("span", {}, t("choose_regions"), "："),
      base.map((r) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "cmp-region", value: r.region, checked: names.includes(r.region),
        onchange: (e) => { cs.regions = e.target.checked ? base.map((x) => x.region).filter((x) => x === r.region || names.includes(x)) : names.filter((x) => x !== r.region); cs.answers = null; render(); } }),
        ` ${r.jurisdiction || r.region}`)),
      h("label", { for: "cmp-on" }, t("date")),
      h("input", { type: "date", id: "cmp-on", value: cs.on, onchange: (e) => { cs.on = e.target.value; render(); } })),
    section(t("thresholds"), paramBox),
    section(t("same_student"),
      h("form", { id: "compare-form", onsubmit: (e) => { e.preventDefault(); ask(); } },
        h("div", { class: "toolbar" },
          h("label", { for: "cmp-question" }, t("question")),
          h("select", { id: "cmp-question", onchange: (e) => { cs.question = e.target.value; cs.answers = null; render(); } },
            [...qs.values()].map((q) => h("option", { value: q.question, selected: q.question === cs.question }, lang === "en" && q.en ? qTitle(q) : `${qTitle(q)} (${q.question})`))),
          h("button", { type: "submit", class: "primary", id: "cmp-ask", disabled: names.length < 2 }, t("compare_ask"))),
        answers,
        h("details", { class: "form-fold", open: true }, h("summary", {}, t("facts_form"), h("span", { class: "muted small" }, ` ${fields.length}`)),
          h("p", { class: "muted small" }, t("facts_hint")), factsForm(schema, cs.values, [], () => {})),
        h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("compare_ask"))))));
}

// ---------------------------------------------------------------- 校验: check an edited policy

function diagTable(diags, files) {
  return h("table", { class: "grid diags" },
    h("thead", {}, h("tr", {}, h("th", {}, t("where")), h("th", {}, t("code")), h("th", {}, t("message")), h("th", {}, t("hint")))),
    h("tbody", {}, diags.map((d) => {
      const src = sourceLine(files, d);
      return [h("tr", { class: src ? "has-src" : null },
        h("td", { class: "mono where" }, [d.file || "<input>", d.line, d.column].filter((x) => x !== null && x !== undefined).join(":")),
        h("td", { class: "mono" }, d.code),
        h("td", {}, d.message, d.path ? h("div", { class: "mono muted small" }, d.path) : null),
        h("td", {}, d.hint || "")),
      src ? h("tr", { class: "src-row" }, h("td", { colspan: 4 }, src)) : null];
    })));
}

// a POSIX tar (ustar) of the files chosen with a folder picker, so a folder uploads without a zip tool
async function tarOf(files) {
  const enc = new TextEncoder();
  const chunks = [];
  const field = (buf, off, len, text) => { const b = enc.encode(text); buf.set(b.slice(0, len), off); };
  const octal = (n, len) => n.toString(8).padStart(len - 1, "0") + "\0";
  for (const file of files) {
    const path = file.webkitRelativePath || file.name;
    const bytes = new Uint8Array(await file.arrayBuffer());
    const head = new Uint8Array(512);
    const full = enc.encode(path);
    let name = path, prefix = "";
    if (full.length > 100) {
      const cut = path.lastIndexOf("/", path.length - 1);
      prefix = path.slice(0, cut);
      name = path.slice(cut + 1);
    }
    field(head, 0, 100, name);
    field(head, 100, 8, "0000644\0");
    field(head, 108, 8, "0000000\0");
    field(head, 116, 8, "0000000\0");
    field(head, 124, 12, octal(bytes.length, 12));
    field(head, 136, 12, octal(Math.floor((file.lastModified || 0) / 1000), 12));
    field(head, 148, 8, "        ");
    field(head, 156, 1, "0");
    field(head, 257, 6, "ustar\0");
    field(head, 263, 2, "00");
    field(head, 345, 155, prefix);
    let sum = 0;
    for (const b of head) sum += b;
    field(head, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
    chunks.push(head, bytes);
    const pad = (512 - (bytes.length % 512)) % 512;
    if (pad) chunks.push(new Uint8Array(pad));
  }
  chunks.push(new Uint8Array(1024));
  return new Blob(chunks, { type: "application/x-tar" });
}

// -- the uploaded files, read back in the browser, so each diagnostic can show its line

const inflate = async (bytes, format) => new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream(format))).arrayBuffer());
const ascii = (b, from, to) => { let s = ""; for (let i = from; i < to && b[i]; i++) s += String.fromCharCode(b[i]); return s; };
const utf8 = (b) => new TextDecoder().decode(b);

function untar(b) {
  const files = new Map();
  let pax = null;
  for (let off = 0; off + 512 <= b.length;) {
    if (!b[off]) break;  // two zero blocks end the archive
    const size = parseInt(ascii(b, off + 124, off + 136).trim() || "0", 8);
    const type = String.fromCharCode(b[off + 156] || 48);
    const magic = ascii(b, off + 257, off + 262);
    let name = utf8(b.slice(off, off + 100)).replace(/\0.*$/s, "");
    if (magic === "ustar" && b[off + 262] === 0) { const prefix = utf8(b.slice(off + 345, off + 500)).replace(/\0.*$/s, ""); if (prefix) name = `${prefix}/${name}`; }
    const data = b.slice(off + 512, off + 512 + size);
    if (type === "x") {  // a pax header: its path= record names the next file
      pax = {};
      for (const m of utf8(data).matchAll(/\d+ ([^=]+)=([^\n]*)\n/g)) pax[m[1]] = m[2];
    } else if (type === "L") {  // GNU tar's long name for the next file
      pax = { path: utf8(data).replace(/\0.*$/s, "") };
    } else {
      if (type === "0" || type === "\0") files.set((pax && pax.path) || name, data);
      pax = null;
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

async function unzip(b) {
  const files = new Map();
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let end = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 65557); i--) if (v.getUint32(i, true) === 0x06054b50) { end = i; break; }
  if (end < 0) return files;
  let p = v.getUint32(end + 16, true);
  for (let n = v.getUint16(end + 10, true); n > 0 && v.getUint32(p, true) === 0x02014b50; n--) {
    const method = v.getUint16(p + 10, true), csize = v.getUint32(p + 20, true);
    const nlen = v.getUint16(p + 28, true), xlen = v.getUint16(p + 30, true), clen = v.getUint16(p + 32, true);
    const local = v.getUint32(p + 42, true);
    const name = utf8(b.slice(p + 46, p + 46 + nlen));
    const start = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    const raw = b.slice(start, start + csize);
    if (!name.endsWith("/")) {
      if (method === 0) files.set(name, raw);
      else if (method === 8) files.set(name, await inflate(raw, "deflate-raw"));
    }
    p += 46 + nlen + xlen + clen;
  }
  return files;
}

// path in the archive -> bytes; never sent anywhere, only read to quote the lines the diagnostics name
async function filesOf(source) {
  try {
    if (Array.isArray(source)) return new Map(await Promise.all(source.map(async (f) => [f.webkitRelativePath || f.name, new Uint8Array(await f.arrayBuffer())])));
    let b = new Uint8Array(await source.arrayBuffer());
    if (b[0] === 0x50 && b[1] === 0x4b) return await unzip(b);
    if (b[0] === 0x1f && b[1] === 0x8b) b = await inflate(b, "gzip");
    return untar(b);
  } catch {
    return new Map();  // the server says what is wrong with an unreadable archive
  }
}

function sourceLine(files, d) {
  if (!files || !d.file || !d.line) return null;
  const file = d.file.replace(/^\.\//, "");
  const key = [...files.keys()].find((k) => k === file || k.endsWith("/" + file) || file.endsWith("/" + k));
  if (!key) return null;
  const line = utf8(files.get(key)).split(/\r?\n/)[d.line - 1];
  if (line === undefined) return null;
  const indent = Math.min(line.match(/^\s*/)[0].length, Math.max(0, (d.column || 1) - 1));
  const col = Math.max(0, Math.min(line.length, (d.column || 1) - 1)) - indent;
  const text = line.slice(indent);
  return h("pre", { class: "src" }, h("span", { class: "ln" }, `${d.line} │ `), indent ? h("span", { class: "ln" }, "… ") : null,
    text.slice(0, col), h("mark", {}, text.slice(col) || " "));
}

function archiveType(name) {
  if (/\.zip$/i.test(name)) return "application/zip";
  if (/\.(tar\.gz|tgz|gz)$/i.test(name)) return "application/gzip";
  return "application/x-tar";
}

async function viewCheck() {
  const out = h("div", { id: "upload-result" });
  const status = h("span", { class: "muted", id: "upload-status" });
  const show = () => {
    const u = state.upload;
    if (!u) return fill(out, );
    if (u.error) return fill(out, problemBox(u.error));
    const r = u.result;
    fill(out, 
      h("div", { class: `banner small ${r.ok ? "ok" : "bad"}`, id: "upload-verdict", "data-ok": String(r.ok) },
        h("div", {}, h("span", { class: "big" }, r.ok ? t("valid") : t("invalid")), u.name ? h("span", {}, u.name) : null),
        h("span", { class: "mono" }, `${t("upload_id")} ${r.upload}`)),
      r.diagnostics && r.diagnostics.length ? section(`${t("diagnostics")} (${r.diagnostics.length})`, diagTable(r.diagnostics, u.files)) : null,
      r.ok ? h("div", { class: "actions" },
        h("button", { type: "button", class: "primary", id: "try-upload", onclick: () => go("try", r.region || r.upload) }, t("try_upload")),
        h("button", { type: "button", id: "read-upload", onclick: () => go("read", r.region || r.upload) }, t("read_upload"))) : null);
  };
  const send = async (blob, type, name, source) => {
    status.textContent = t("loading");
    try {
      const r = await api("/v1/uploads", { method: "POST", headers: { "content-type": type }, body: blob });
      state.upload = { result: r, name, files: r.diagnostics && r.diagnostics.length ? await filesOf(source) : null };
      if (r.ok) {
        const id = r.region || r.upload;
        if (!state.regions.some((x) => x.region === id)) state.regions.push({ region: id, upload: true, jurisdiction: id });
        delete state.details[id];
        delete state.articles[id];
      }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      state.upload = { error: err, name };
    }
    status.textContent = "";
    renderFrame();
    show();
  };
  const fileInput = h("input", { type: "file", id: "archive", accept: ".zip,.tar,.tar.gz,.tgz,application/zip,application/x-tar,application/gzip" });
  const dirInput = h("input", { type: "file", id: "folder", webkitdirectory: true, multiple: true });
  show();
  return h("div", { class: "view view-check" },
    h("div", { class: "view-head" }, h("h1", {}, t("check"))),
    section(t("upload_title"),
      h("p", { class: "muted" }, t("upload_hint")),
      h("form", { id: "upload-form", onsubmit: (e) => {
        e.preventDefault();
        if (fileInput.files.length) send(fileInput.files[0], archiveType(fileInput.files[0].name), fileInput.files[0].name, fileInput.files[0]);
        else if (dirInput.files.length) {
          const chosen = [...dirInput.files];
          tarOf(chosen).then((b) => send(b, "application/x-tar", chosen[0].webkitRelativePath.split("/")[0], chosen));
        }
      } },
        h("div", { class: "upload-grid" },
          h("label", { for: "archive" }, t("archive")), fileInput,
          h("label", { for: "folder" }, t("folder")), dirInput),
        h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "upload" }, t("send")), status))),
    out);
}

// ---------------------------------------------------------------- start

async function start() {
  document.getElementById("lang").addEventListener("click", () => {
    lang = lang === "en" ? "zh" : "en";
    localStorage.setItem(LANG_KEY, lang);
    render();
  });
  window.addEventListener("hashchange", render);
  try {
    state.regions = await api("/v1/regions");
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    document.getElementById("main").replaceChildren(problemBox(err));
    return;
  }
  await render();
}

start();
