// Stops a build, test or package on a Node older than package.json's engines.node, with one
// line. Written for any Node (no modern syntax), since its job is to run on old ones.
'use strict';
var path = require('path');

/**
 * Whether version "a.b.c" is at least the ">=x.y.z" floor.
 * @param {string} version
 * @param {string} floor
 * @returns {boolean}
 */
function atLeast(version, floor) {
    var v = String(version).replace(/^v/, '').split('.').map(Number);
    var f = String(floor).replace(/^\s*>=\s*/, '').split('.').map(Number);
    for (var i = 0; i < 3; i++) {
        var a = v[i] || 0;
        var b = f[i] || 0;
        if (a !== b) {
            return a > b;
        }
    }
    return true;
}

module.exports = { atLeast: atLeast };

if (require.main === module) {
    var floor = require(path.join(__dirname, '..', 'package.json')).engines.node;
    if (!atLeast(process.versions.node, floor)) {
        console.error('smdebug-local extension: Node ' + floor.replace(/^\s*>=\s*/, '') + ' or newer is needed to build, test or package it (this is Node '
            + process.versions.node + ' at ' + process.execPath + ')');
        process.exit(1);
    }
}
