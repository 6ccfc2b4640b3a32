// The extension's version is the Python package's: smdebug_local/__init__.py's __version__
// (one place), turned into the SemVer VS Code expects. `npm run package` stamps the .vsix
// with it (scripts/package.js); package.json's own "version" is not what ships.
'use strict';

/** __version__ = "..." in a Python module's text, or null. @param {string} text */
function pythonVersion(text) {
    const m = /^__version__\s*(?::\s*str\s*)?=\s*(["'])([^"'\n]+)\1/m.exec(text);
    return m ? m[2].trim() : null;
}

const PRE = /** @type {Record<string, string>} */ ({ a: 'a', alpha: 'a', b: 'b', beta: 'b', c: 'rc', rc: 'rc', pre: 'rc', preview: 'rc' });

/**
 * A PEP 440 version as SemVer: 1.2 -> 1.2.0, 1.2.3rc1 -> 1.2.3-rc.1, 1.2.3.dev4 ->
 * 1.2.3-dev.4, 1.2.3+local -> 1.2.3+local. An epoch, a post-release or a fourth release
 * number has no SemVer form: an Error says so.
 * @param {string} version
 * @returns {string}
 */
function toSemver(version) {
    const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-_.]?(alpha|beta|preview|pre|rc|a|b|c)[-_.]?(\d*))?(?:[-_.]?dev[-_.]?(\d*))?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$/i
        .exec(version.trim());
    if (!m) {
        throw new Error(`version ${JSON.stringify(version)} has no SemVer form for the extension (an epoch, a post-release or a fourth number?); use X.Y.Z, optionally with aN, bN, rcN, .devN`);
    }
    const [, major, minor, patch, pre, preN, dev, local] = m;
    const num = (/** @type {string} */ s) => String(Number(s)); // no leading zeros in SemVer
    let out = [major, minor ?? '0', patch ?? '0'].map(num).join('.');
    const tags = [];
    if (pre !== undefined) {
        tags.push(PRE[pre.toLowerCase()], num(preN || '0'));
    }
    if (dev !== undefined) {
        tags.push('dev', num(dev || '0'));
    }
    if (tags.length > 0) {
        out += '-' + tags.join('.');
    }
    if (local !== undefined) {
        out += '+' + local.toLowerCase().replace(/[-_]/g, '.');
    }
    return out;
}

/**
 * The extension's version from the text of smdebug_local/__init__.py (``where`` names it in
 * errors).
 * @param {string} text
 * @param {string} where
 * @returns {string}
 */
function extensionVersion(text, where) {
    const version = pythonVersion(text);
    if (version === null) {
        throw new Error(`no __version__ = "..." line in ${where}`);
    }
    return toSemver(version);
}

module.exports = { extensionVersion, pythonVersion, toSemver };
