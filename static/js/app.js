// Behaviour for the staff pages. The Content-Security-Policy allows scripts from our own static
// files only, so pages mark elements with data-* attributes and this file wires them up.
"use strict";

document.addEventListener("click", function (event) {
  // <button data-print>: print the page (the roster's print stylesheet hides the chrome).
  if (event.target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
  }
});
