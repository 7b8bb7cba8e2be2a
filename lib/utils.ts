/** `ng.utils`: torch.utils counterparts (gradient checkpointing). */
export { checkpoint } from './checkpoint.js';
