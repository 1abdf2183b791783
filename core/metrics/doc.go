// Package metrics compares a reconstruction with its ground truth: PSNR and
// SSIM for images in [−1, 1] (data range 2), flattened as in package img.
package metrics
