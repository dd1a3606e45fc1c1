// The page of 'repvgg serve': plain browser JavaScript, no build step, nothing loaded from elsewhere.
'use strict';

const $ = (id) => document.getElementById(id);
let models = [];

function authHeaders() {
  const token = $('token').value.trim();
  return token ? { Authorization: 'Bearer ' + token } : {};
}

async function call(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { ...(options.headers || {}), ...authHeaders() } });
  if (!response.ok) {
    let message = response.status + ' ' + response.statusText;
    try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

function element(tag, attributes = {}, ...children) {
  const e = document.createElement(tag);
  Object.entries(attributes).forEach(([k, v]) => (k === 'class' ? (e.className = v) : e.setAttribute(k, v)));
  children.forEach((c) => e.append(c));
  return e;
}

function bars(top) {
  const box = element('div', { class: 'bars' });
  top.forEach((c) => {
    const fill = element('div', { class: 'fill' });
    fill.style.width = (100 * c.probability).toFixed(1) + '%';
    box.append(element('div', { class: 'bar' },
      element('span', { class: 'label', title: c.label }, c.label),
      element('div', { class: 'track' }, fill),
      element('span', { class: 'value' }, (100 * c.probability).toFixed(1) + '%')));
  });
  return box;
}

async function classify(file) {
  const model = $('model').value;
  const picture = element('img', { alt: file.name });
  picture.src = URL.createObjectURL(file);
  const cam = element('img', { alt: 'Grad-CAM', class: 'cam' });
  const body = element('div', { class: 'bars' }, 'classifying ...');
  const card = element('div', { class: 'prediction' },
    element('h3', { title: file.name }, file.name),
    element('div', { class: 'pictures' },
      element('figure', {}, picture, element('figcaption', {}, 'image')),
      element('figure', {}, cam, element('figcaption', {}, 'Grad-CAM')),
      body));
  $('predictions').prepend(card);
  try {
    const answer = await (await call('/predictions/' + encodeURIComponent(model) + '?top_k=5',
      { method: 'POST', body: file, headers: { 'Content-Type': 'application/octet-stream' } })).json();
    const p = answer.predictions[0];
    const top = bars(p.top);
    top.querySelector('.label').classList.add('top1-label');
    body.replaceWith(top);
    const t = p.timings_ms;
    top.append(element('div', { class: 'timings' },
      `preprocess ${t.preprocess} ms, queue ${t.queue} ms, inference ${t.inference} ms (batch of ${p.batch_size})`));
    card.dataset.top1 = p.top[0].label;
    const png = await (await call('/cam/' + encodeURIComponent(model),
      { method: 'POST', body: file, headers: { 'Content-Type': 'application/octet-stream' } })).blob();
    cam.src = URL.createObjectURL(png);
  } catch (e) {
    body.replaceWith(element('div', { class: 'bars error' }, e.message));
  }
}

function classifyAll(files) {
  Array.from(files).forEach(classify);
}

async function loadModels() {
  models = await (await call('/models')).json();
  const select = $('model');
  select.replaceChildren(...models.map((m) => element('option', { value: m.name }, m.name)));
  showModel();
}

function showModel() {
  const m = models.find((x) => x.name === $('model').value);
  $('model-info').textContent = m ? `${m.classes.length} classes, ${m.input_size}x${m.input_size} input, engine ${m.engine}` : '';
}

function percent(x) {
  return (100 * x).toFixed(1);
}

async function loadResults() {
  let summary;
  try {
    summary = await (await call('/results')).json();
  } catch (e) {
    return; // the server was started without --results
  }
  $('tab-results').hidden = false;
  $('results-info').textContent = `${summary.images} images of ${summary.list}: top-1 ${percent(summary.top1)}%, `
    + `top-5 ${percent(summary.top5)}%` + (summary.skipped ? `, ${summary.skipped} unreadable` : '');
  const report = $('report');
  report.replaceChildren(element('tr', {}, ...['class', 'precision', 'recall', 'F1', 'support'].map((h) => element('th', {}, h))));
  summary.rows.concat([{ ...summary.macro, name: 'macro average' }]).forEach((r) => report.append(element('tr', {},
    element('td', {}, r.name), element('td', {}, percent(r.precision)), element('td', {}, percent(r.recall)),
    element('td', {}, percent(r.f1)), element('td', {}, String(r.support)))));

  const confusion = $('confusion');
  const classes = summary.classes;
  confusion.replaceChildren(element('tr', {}, element('th', {}, ''),
    ...classes.map((c) => element('th', { title: c }, c))));
  summary.confusion.forEach((row, actual) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    const tr = element('tr', {}, element('th', { class: 'row', title: classes[actual] }, classes[actual]));
    row.forEach((count, predicted) => {
      const share = count / total;
      const td = element('td', { class: 'cell', 'data-actual': actual, 'data-predicted': predicted,
        title: `${classes[actual]} predicted as ${classes[predicted]}: ${count}` }, count ? String(count) : '');
      const hue = actual === predicted ? 215 : 5;
      td.style.background = count ? `hsl(${hue}, 70%, ${95 - 50 * share}%)` : '#fafbfc';
      td.style.color = share > 0.6 ? '#fff' : 'inherit';
      td.addEventListener('click', () => openCell(td, classes, actual, predicted));
      tr.append(td);
    });
    confusion.append(tr);
  });
}

async function openCell(td, classes, actual, predicted) {
  document.querySelectorAll('#confusion td.selected').forEach((x) => x.classList.remove('selected'));
  td.classList.add('selected');
  $('cell-title').textContent = `Label ${classes[actual]}, predicted ${classes[predicted]}`;
  const box = $('cell-images');
  box.replaceChildren();
  const images = await (await call(`/results/cell?actual=${actual}&predicted=${predicted}`)).json();
  if (!images.length) {
    box.append(element('p', { class: 'muted' }, 'No images in this cell.'));
  }
  for (const image of images) {
    const img = element('img', { alt: image.path });
    const scores = image.top.map((c) => `${c.label} ${percent(c.probability)}%`).join(', ');
    box.append(element('div', { class: 'thumb' }, img,
      element('div', { class: 'path', title: image.path }, image.path.split('/').pop()),
      element('div', {}, scores)));
    // fetched rather than linked so that the bearer token goes along
    call('/results/image?path=' + encodeURIComponent(image.path))
      .then((r) => r.blob()).then((b) => { img.src = URL.createObjectURL(b); })
      .catch((e) => img.replaceWith(element('div', { class: 'error' }, e.message)));
  }
}

function showView(name) {
  document.querySelectorAll('.tab').forEach((t) => t.classList.toggle('active', t.dataset.view === name));
  $('view-classify').hidden = name !== 'classify';
  $('view-results').hidden = name !== 'results';
}

function start() {
  $('token').value = sessionStorage.getItem('repvgg-token') || '';
  $('token').addEventListener('change', () => {
    sessionStorage.setItem('repvgg-token', $('token').value);
    loadModels().catch(() => {});
    loadResults();
  });
  document.querySelectorAll('.tab').forEach((t) => t.addEventListener('click', () => showView(t.dataset.view)));
  $('model').addEventListener('change', showModel);
  $('file-input').addEventListener('change', (e) => classifyAll(e.target.files));
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); classifyAll(e.dataTransfer.files); });
  loadModels().catch((e) => { $('model-info').textContent = e.message; });
  loadResults();
}

start();
