// The card preview page (served by src/preview/previewRoutes.ts). It is a CDS client of its own: it
// reads discovery, asks the development-only demo issuer for a short-lived JWT per call, and POSTs each
// scenario to /cds-services/{id} like an EHR (https://cds-hooks.hl7.org/2.0/#calling-a-cds-service).
// Everything is built with DOM calls and textContent: no HTML from the service is ever parsed.
import { renderMarkdown } from './markdown.js';

const WORDS = {
  da: {
    indicator: { info: 'Info', warning: 'Advarsel', critical: 'Kritisk' },
    suggestions: 'Forslag',
    recommended: 'anbefalet',
    links: 'Links',
    overrideReasons: 'Begrundelser for at afvise',
    source: 'Kilde',
    noCards: 'Ingen kort (tomt svar: {"cards": []}).',
    selection: 'valg',
    answer: 'Svar som klinikeren',
    accept: 'Acceptér',
    override: 'Afvis',
    dismiss: 'Luk uden begrundelse',
    answered: 'Svaret er sendt',
    callAgain: 'Kald igen',
    quietHint: 'Kald scenarierne igen for at se, hvad der nu vises (stille design); DATA_DIR=<demoens datamappe> npm run quiet:reset nulstiller.',
  },
  en: {
    indicator: { info: 'Info', warning: 'Warning', critical: 'Critical' },
    suggestions: 'Suggestions',
    recommended: 'recommended',
    links: 'Links',
    overrideReasons: 'Override reasons',
    source: 'Source',
    noCards: 'No cards (empty answer: {"cards": []}).',
    selection: 'selection',
    answer: 'Answer as the clinician',
    accept: 'Accept',
    override: 'Override',
    dismiss: 'Dismiss without a reason',
    answered: 'Answer sent',
    callAgain: 'Call again',
    quietHint: 'Call the scenarios again to see what shows now (quiet by design); DATA_DIR=<the demo\'s data folder> npm run quiet:reset clears it.',
  },
};

// answered: the patients whose cards were answered on this page. Quiet by design then changes what their
// scenarios show (docs/clinical-rules.md §6), so "differs from expected" is no longer a defect there.
const state = { lang: 'da', aud: 'public', data: 'fhir', run: 0, info: null, services: [], answered: new Set() };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'className') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('data-')) node.setAttribute(k, String(v));
    else node.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

const json = (value) => JSON.stringify(value, null, 2);

function safeHref(url) {
  return typeof url === 'string' && /^https?:\/\/\S+$/i.test(url) ? url : null;
}

function linkOrText(label, url) {
  const href = safeHref(url);
  return href ? el('a', { href, rel: 'noopener noreferrer', text: label }) : el('span', { text: label });
}

// ---------- cards ----------

function renderAction(action) {
  const what = action.resource?.resourceType ?? action.resourceId ?? '';
  return el('li', { className: 'action' }, el('code', { text: action.type ?? '?' }), ` ${action.description ?? ''}`, what ? el('span', { className: 'muted', text: ` (${what})` }) : null);
}

// ---------- answering a card (CDS Hooks feedback) ----------

/** Posts one feedback item for the card to the service that issued it, as an EHR does when the clinician answers. */
async function answerCard(serviceId, patientId, card, item, box, lang) {
  for (const b of box.querySelectorAll('button')) b.disabled = true;
  const path = `/cds-services/${encodeURIComponent(serviceId)}/feedback`;
  const body = { feedback: [{ card: card.uuid, outcomeTimestamp: new Date().toISOString(), ...item }] };
  let line;
  try {
    const result = await call('POST', path, body);
    const ok = result.res.status === 200;
    if (ok) state.answered.add(patientId);
    line = el('p', { className: `answer-result ${ok ? 'ok' : 'failed'}`, role: 'status' }, `${WORDS[lang].answered}: HTTP ${result.res.status}${ok ? '' : ` ${outcomeText(result.parsed)}`}. ${ok ? WORDS[lang].quietHint : ''}`);
  } catch (err) {
    line = el('p', { className: 'answer-result failed', role: 'status', text: `${WORDS[lang].answered}: ${err.message}` });
  }
  box.querySelector('.answer-result')?.remove();
  box.append(line);
}

function answerControls(serviceId, patientId, card, lang) {
  const w = WORDS[lang];
  const box = el('div', { className: 'answer' }, el('h5', { text: w.answer }));
  const buttons = el('div', { className: 'answer-buttons' });
  const button = (label, item, kind) => {
    const b = el('button', { type: 'button', className: `answer-${kind}`, text: label });
    b.addEventListener('click', () => void answerCard(serviceId, patientId, card, item, box, lang));
    return b;
  };
  for (const s of card.suggestions ?? []) {
    if (s.uuid) buttons.append(button(`${w.accept}: ${s.label ?? ''}`, { outcome: 'accepted', acceptedSuggestions: [{ id: s.uuid }] }, 'accept'));
  }
  for (const r of card.overrideReasons ?? []) {
    buttons.append(button(`${w.override}: ${r.display ?? r.code ?? ''}`, { outcome: 'overridden', overrideReason: { reason: { system: r.system, code: r.code } } }, 'override'));
  }
  buttons.append(button(w.dismiss, { outcome: 'overridden' }, 'dismiss'));
  box.append(buttons);
  return box;
}

function renderCard(card, lang, serviceId, patientId) {
  const w = WORDS[lang];
  const indicator = ['info', 'warning', 'critical'].includes(card.indicator) ? card.indicator : 'info';
  const kind = card.source?.topic?.code ?? '(no topic)';
  const id = `card-${card.uuid ?? Math.random().toString(36).slice(2)}`;
  const article = el('article', { className: `card indicator-${indicator}`, 'data-kind': kind, 'data-indicator': card.indicator, 'aria-labelledby': id });
  article.append(
    el('p', { className: 'card-meta' }, el('span', { className: 'indicator-label', text: w.indicator[indicator] }), ' ', el('code', { className: 'card-kind', text: kind })),
    el('h4', { id, className: 'card-summary', text: card.summary ?? '' }),
  );
  if (card.detail) {
    const detail = el('div', { className: 'card-detail' });
    detail.append(renderMarkdown(card.detail));
    article.append(detail);
  }
  if (Array.isArray(card.suggestions) && card.suggestions.length > 0) {
    const list = el('ul', { className: 'suggestions' });
    for (const s of card.suggestions) {
      const actions = el('ul', { className: 'actions' });
      for (const a of s.actions ?? []) actions.append(renderAction(a));
      list.append(
        el('li', { className: 'suggestion' }, el('span', { className: 'suggestion-label', text: s.label ?? '' }), s.isRecommended ? el('span', { className: 'badge', text: w.recommended }) : null, actions),
      );
    }
    article.append(el('h5', { text: `${w.suggestions} (${w.selection}: ${card.selectionBehavior ?? '–'})` }), list);
  }
  if (Array.isArray(card.links) && card.links.length > 0) {
    const list = el('ul', { className: 'links' });
    for (const l of card.links) list.append(el('li', {}, linkOrText(l.label ?? l.url, l.url), el('span', { className: 'muted', text: ` (${l.type ?? '?'})` })));
    article.append(el('h5', { text: w.links }), list);
  }
  if (Array.isArray(card.overrideReasons) && card.overrideReasons.length > 0) {
    const list = el('ul', { className: 'override-reasons' });
    for (const r of card.overrideReasons) list.append(el('li', { text: r.display ?? r.code ?? '' }));
    article.append(el('h5', { text: w.overrideReasons }), list);
  }
  const source = card.source ?? {};
  article.append(
    el('p', { className: 'card-source' }, `${w.source}: `, linkOrText(source.label ?? '', source.url), source.topic?.display ? ` · ${source.topic.display}` : ''),
  );
  if (serviceId && card.uuid) article.append(answerControls(serviceId, patientId, card, lang));
  return article;
}

// ---------- calling the service ----------

async function demoToken(path) {
  if (state.aud === 'none' || !state.info?.demoIssuer) return null;
  const res = await fetch('/preview/api/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ path, audience: state.aud }),
  });
  if (!res.ok) throw new Error(`token request failed: HTTP ${res.status}`);
  return res.json();
}

async function call(method, path, body) {
  const token = await demoToken(path);
  const headers = { Accept: 'application/json', 'Accept-Language': state.lang };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token.token}`;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  const shownHeaders = { ...headers };
  if (token) shownHeaders.Authorization = `Bearer <demo token, aud ${token.aud}, ${token.expiresIn} s>`;
  return { res, text, parsed, token, shownHeaders };
}

async function refusalReason(token) {
  if (!token) {
    if (state.aud === 'none') return 'no token was sent (token audience: "no token")';
    return state.info?.demoIssuer ? 'unknown' : 'no token was sent: the demo issuer exists only with NODE_ENV=development';
  }
  const res = await fetch(`/preview/api/refusals/${encodeURIComponent(token.jti)}`);
  if (!res.ok) return 'not recorded';
  const r = await res.json();
  let text = `check "${r.check}" failed`;
  if (r.reason) text += `: ${r.reason}`;
  if (r.expected !== undefined) text += ` — expected ${JSON.stringify(r.expected)}, received ${JSON.stringify(r.received)}`;
  return text;
}

function outcomeText(parsed) {
  const issues = Array.isArray(parsed?.issue) ? parsed.issue : [];
  return issues.map((i) => `${i.diagnostics ?? i.details?.text ?? i.code ?? ''}${Array.isArray(i.expression) ? ` [${i.expression.join(', ')}]` : ''}`).join(' · ');
}

function rawExchange(method, path, shownHeaders, body, result) {
  const request = `${method} ${path}\n${Object.entries(shownHeaders).map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${body === undefined ? '' : json(body)}`;
  const response = `HTTP ${result.res.status} ${result.res.statusText}\n\n${result.parsed !== null ? json(result.parsed) : result.text || '(empty body)'}`;
  return el(
    'div',
    { className: 'raw' },
    el('details', {}, el('summary', { text: 'Raw request' }), el('pre', { className: 'raw-request', text: request })),
    el('details', {}, el('summary', { text: 'Raw response' }), el('pre', { className: 'raw-response', text: response })),
  );
}

async function runScenario(scenario, section, run) {
  const out = section.querySelector('.result');
  section.dataset.state = 'running';
  const service = state.services.find((s) => s.hook === scenario.hook);
  const fresh = [];
  try {
    if (!service) throw new Error(`no service for hook ${scenario.hook} in discovery`);
    const path = `/cds-services/${encodeURIComponent(service.id)}`;
    const body = structuredClone(scenario.request);
    body.hookInstance = crypto.randomUUID();
    if (state.data === 'none') delete body.fhirServer;
    const result = await call('POST', path, body);
    if (run !== state.run) return;
    const status = result.res.status;
    section.dataset.status = String(status);
    if (status === 200 && Array.isArray(result.parsed?.cards)) {
      const cards = result.parsed.cards;
      const kinds = cards.map((c) => c.source?.topic?.code ?? '');
      section.dataset.kinds = kinds.join(' ');
      const expected = [...scenario.expectedKinds].sort().join(' ');
      const matches = [...kinds].sort().join(' ') === expected;
      const quieted = !matches && state.answered.has(scenario.patientId);
      const verdict = matches ? 'matches' : quieted ? 'differs, as expected: cards of this patient were answered on this page, and quiet by design changes what shows' : 'differs';
      fresh.push(
        el('p', { className: `check ${matches ? 'ok' : quieted ? 'quieted' : 'differs'}` }, `HTTP 200 · ${cards.length} card(s): ${kinds.join(', ') || '–'} · expected (rev 2): ${scenario.expectedKinds.join(', ') || 'no cards'} — ${verdict}${scenario.verified ? '' : ' (awaits rev-2 behaviour)'}`),
      );
      const list = el('div', { className: 'cards', lang: state.lang });
      if (cards.length === 0) list.append(el('p', { className: 'no-cards', text: WORDS[state.lang].noCards }));
      for (const card of cards) list.append(renderCard(card, state.lang, service.id, scenario.patientId));
      fresh.push(list);
    } else {
      section.dataset.kinds = '';
      let why = outcomeText(result.parsed);
      if (status === 401) why = `Reason from the service log: ${await refusalReason(result.token)}`;
      if (run !== state.run) return;
      fresh.push(el('div', { className: 'error', role: 'alert' }, el('strong', { text: `HTTP ${status} ${result.res.statusText}` }), why ? el('p', { className: 'error-reason', text: why }) : null));
    }
    fresh.push(rawExchange('POST', path, result.shownHeaders, body, result));
    section.dataset.state = 'done';
  } catch (err) {
    if (run !== state.run) return;
    section.dataset.state = 'done';
    section.dataset.status = 'error';
    fresh.push(el('div', { className: 'error', role: 'alert', text: `Could not call the service: ${err.message}` }));
  }
  out.replaceChildren(...fresh);
}

async function runAll() {
  const run = ++state.run;
  document.body.dataset.run = 'running';
  document.body.dataset.lang = state.lang;
  const status = document.getElementById('run-status');
  status.textContent = `Calling the service for ${state.info.scenarios.length} scenarios…`;
  const sections = [...document.querySelectorAll('section.scenario')];
  const queue = state.info.scenarios.map((s, i) => [s, sections[i]]);
  // Two at a time: quick, and gentle on a busy machine.
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await runScenario(next[0], next[1], run);
  };
  await Promise.all([worker(), worker()]);
  if (run !== state.run) return;
  const answered = document.querySelectorAll('section.scenario[data-status="200"]').length;
  status.textContent = `${answered} of ${state.info.scenarios.length} scenarios answered 200 (cards in ${state.lang === 'da' ? 'Danish' : 'English'}). `;
  const again = el('button', { type: 'button', id: 'call-again', text: WORDS[state.lang].callAgain });
  again.addEventListener('click', () => void runAll());
  status.append(again);
  document.body.dataset.run = 'done';
}

// ---------- page ----------

function renderServices(services) {
  const list = el('ul', { className: 'services' });
  for (const s of services) {
    list.append(
      el('li', { 'data-service': s.id }, el('strong', { text: s.title ?? s.id }), ' ', el('code', { text: s.id }), ` · hook ${s.hook}`, el('br'), el('span', { text: s.description ?? '' }), s.prefetch ? el('span', { className: 'muted', text: ` · prefetch: ${Object.keys(s.prefetch).join(', ')}` }) : null),
    );
  }
  document.getElementById('services').replaceChildren(list);
}

function renderScenarioSkeletons(scenarios) {
  const toc = document.getElementById('toc');
  const holder = document.getElementById('scenarios');
  toc.replaceChildren();
  holder.replaceChildren();
  for (const s of scenarios) {
    const id = `scenario-${s.name}`;
    toc.append(el('li', {}, el('a', { href: `#${id}`, text: s.title })));
    holder.append(
      el(
        'section',
        { className: 'scenario', id, 'data-scenario': s.name, 'data-hook': s.hook, 'data-state': 'pending', 'aria-labelledby': `${id}-h` },
        el('h3', { id: `${id}-h`, text: s.title }),
        el('p', { className: 'scenario-meta' }, el('code', { text: s.hook }), ' · patient ', el('code', { text: s.patientId }), ` · expected (rev 2): ${s.expectedKinds.join(', ') || 'no cards'}`),
        el('p', { className: 'scenario-description', text: s.description }),
        el('div', { className: 'result' }, el('p', { className: 'muted', text: 'Calling the service…' })),
      ),
    );
  }
}

function renderEnvironment(info) {
  const parts = [
    `Caller check (AUTH): ${info.auth}`,
    info.demoIssuer ? 'demo issuer: on (development only; tokens live 60 s)' : 'demo issuer: off (calls go without a token)',
    `PUBLIC_BASE_URL: ${info.publicBaseUrl}`,
    `this page: ${location.origin}`,
    `demo FHIR server: ${info.fhirServer ?? 'none configured (PREVIEW_FHIR_SERVER); calls will answer 412'}`,
  ];
  if (info.language !== 'auto') parts.push(`CDS_LANGUAGE=${info.language}: the service answers in that language whatever the switch says`);
  document.getElementById('environment').replaceChildren(el('p', { text: parts.join(' · ') }));
}

function readSettings() {
  const form = document.getElementById('settings');
  for (const name of ['lang', 'aud', 'data']) {
    const checked = form.querySelector(`input[name="${name}"]:checked`);
    if (checked) state[name] = checked.value;
  }
}

function applyUrlSettings() {
  const params = new URLSearchParams(location.search);
  for (const name of ['lang', 'aud', 'data']) {
    const value = params.get(name);
    const input = value && document.querySelector(`input[name="${name}"][value="${CSS.escape(value)}"]`);
    if (input) input.checked = true;
  }
}

async function main() {
  applyUrlSettings();
  readSettings();
  try {
    const infoRes = await fetch('/preview/api/scenarios');
    if (!infoRes.ok) throw new Error(`scenarios: HTTP ${infoRes.status}`);
    state.info = await infoRes.json();
    renderEnvironment(state.info);
    const discovery = await call('GET', '/cds-services');
    if (!discovery.res.ok) throw new Error(`discovery: HTTP ${discovery.res.status}`);
    state.services = discovery.parsed?.services ?? [];
    renderServices(state.services);
    renderScenarioSkeletons(state.info.scenarios);
  } catch (err) {
    document.getElementById('environment').replaceChildren(el('p', { className: 'error', role: 'alert', text: `The page could not start: ${err.message}` }));
    document.body.dataset.run = 'failed';
    return;
  }
  document.getElementById('settings').addEventListener('change', () => {
    readSettings();
    const params = new URLSearchParams(location.search);
    params.set('lang', state.lang);
    params.set('aud', state.aud);
    params.set('data', state.data);
    history.replaceState(null, '', `?${params}`);
    void runAll();
  });
  await runAll();
}

void main();
