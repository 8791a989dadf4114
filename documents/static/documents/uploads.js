// The device page's upload rows: a save whose chosen files together pass what the server
// accepts in one request is stopped here, with a sentence above the documents' rows. The
// server refused such a page whole, and the browser showed only its JSON sentence, every file
// chosen lost with it.
(function () {
    "use strict";
    function megabytes(bytes) {
        return (bytes / (1024 * 1024)).toFixed(1) + " MB";
    }
    document.addEventListener("submit", function (event) {
        const inputs = event.target.querySelectorAll("input[type=file][data-max-total-bytes]");
        if (!inputs.length) {
            return;
        }
        const limit = Number(inputs[0].dataset.maxTotalBytes);
        let total = 0;
        let alone = null;  // a file over the limit by itself: no number of saves takes it
        inputs.forEach(function (input) {
            for (const file of input.files) {
                total += file.size;
                if (file.size > limit && !alone) {
                    alone = file;
                }
            }
        });
        if (total <= limit) {
            return;
        }
        event.preventDefault();
        if (!document.getElementById("documents-too-large")) {  // made once, said again
            document.getElementById("documents-group").insertAdjacentHTML(
                "afterbegin", '<p id="documents-too-large" class="errornote" role="alert"></p>');
        }
        const note = document.getElementById("documents-too-large");
        note.textContent = alone ?
            alone.name + " is " + megabytes(alone.size) + ", over the " + megabytes(limit) +
                " a document may be: nothing was sent." :
            "The files chosen come to " + megabytes(total) + ", over the " + megabytes(limit) +
                " a save accepts: nothing was sent. Save them in several goes.";
        note.scrollIntoView({block: "center"});
    }, true);
})();
