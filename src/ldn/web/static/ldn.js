// The few behaviours the pages need beyond htmx, from a file: the Content Security Policy
// allows no inline script or event handler attributes (onchange=, onclick=).
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches && el.matches("[data-autosubmit]") && el.form) {
    el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
  }
});
document.addEventListener("click", function (event) {
  var el = event.target.closest ? event.target.closest("[data-print]") : null;
  if (el) {
    event.preventDefault();
    window.print();
  }
});
document.addEventListener("input", function (event) {
  var el = event.target;
  var out = el.dataset && el.dataset.output ? document.getElementById(el.dataset.output) : null;
  if (out) {
    out.value = el.value;
  }
});
