// chithi workbench: the little JavaScript the pages use (served locally; no inline scripts).
"use strict";

// Progress of background jobs: every element with data-job polls its job until it ends.
function pollJob(box) {
  const id = box.dataset.job;
  const bar = box.querySelector("progress");
  const label = box.querySelector("[data-label]");
  const elapsed = box.querySelector("[data-elapsed]");
  const link = box.querySelector("[data-link]");
  fetch("/api/jobs/" + encodeURIComponent(id), { credentials: "same-origin" })
    .then((r) => r.json())
    .then((job) => {
      if (bar) bar.value = job.progress;
      if (label) label.textContent = job.label + (job.message ? ": " + job.message : "");
      if (elapsed) elapsed.textContent = job.elapsed + " giây";
      box.dataset.state = job.state;
      if (job.state === "done" && job.url) {
        if (link) { link.href = job.url; link.hidden = false; }
        if (box.dataset.follow === "1") { window.location.assign(job.url); return; }
      }
      if (job.state === "queued" || job.state === "running") setTimeout(() => pollJob(box), 600);
    })
    .catch(() => setTimeout(() => pollJob(box), 2000));
}
document.querySelectorAll("[data-job]").forEach(pollJob);

// Plan page: a highlighted mention shows its item's details in the side panel.
function showItem(key) {
  document.querySelectorAll(".hl.active").forEach((el) => el.classList.remove("active"));
  document.querySelectorAll(".item.current").forEach((el) => el.classList.remove("current"));
  document.querySelectorAll('.hl[data-item="' + CSS.escape(key) + '"]').forEach((el) => el.classList.add("active"));
  const item = document.getElementById("item-" + key);
  if (item) { item.classList.add("current"); item.scrollIntoView({ block: "nearest" }); }
}
document.querySelectorAll(".hl[data-item]").forEach((el) => {
  el.addEventListener("click", (event) => { event.preventDefault(); showItem(el.dataset.item); });
});
document.querySelectorAll("[data-show-item]").forEach((el) => {
  el.addEventListener("click", (event) => {
    event.preventDefault();
    showItem(el.dataset.showItem);
    const first = document.querySelector('.hl[data-item="' + CSS.escape(el.dataset.showItem) + '"]');
    if (first) first.scrollIntoView({ block: "center" });
  });
});

// Print buttons.
document.querySelectorAll("[data-print]").forEach((el) => el.addEventListener("click", () => window.print()));
