// The print view's button: print the page (the view itself works without JavaScript, via the browser's menu).
document.getElementById("print-now")?.addEventListener("click", () => window.print());
