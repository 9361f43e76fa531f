// The scan screen: the barcode field keeps the focus (a scanner types into it and presses Enter),
// and a refused scan beeps (a short WebAudio tone, no sound file).
(function () {
  "use strict";
  let audio = null;

  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = "square";
      oscillator.frequency.value = 220;
      gain.gain.value = 0.2;
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start();
      oscillator.stop(audio.currentTime + 0.35);
      document.body.dataset.beeps = String(Number(document.body.dataset.beeps || 0) + 1);
    } catch (error) {
      // No audio (a locked-down browser): the message still says what is wrong.
    }
  }

  function field() {
    return document.querySelector("[data-scan-field]");
  }

  function focusField() {
    const input = field();
    if (input && document.activeElement !== input && !document.activeElement.closest("#short-form, [data-scan-free]")) {
      input.focus();
    }
  }

  document.addEventListener("htmx:afterSwap", focusField);
  document.addEventListener("focusout", function () { window.setTimeout(focusField, 0); });
  document.body.addEventListener("pick-refused", beep);
  document.addEventListener("DOMContentLoaded", focusField);
  focusField();
}());
